"""The team's pages: write a message, see who it reaches, test, send or schedule, follow it."""

from django.contrib import messages as flash
from django.core.mail import EmailMultiAlternatives
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from campaigns.http import parse_id
from crm.views import staff_required

from . import services
from .audience import REASONS, audience, counts
from .email import preview
from .forms import MessageForm, ScheduleForm
from .models import Message, SmsOutbox
from .sms import segments, with_stop
from .templating import BadTemplate, fill, values_for, with_keys


@staff_required("messaging.send")
def message_list(request):
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        message = form.save(commit=False)
        message.created_by = request.user
        message.save()
        return redirect("messaging:message", pk=message.pk)
    rows = [(m, counts(m)) for m in Message.objects.select_related("segment")[:100]]
    return render(request, "messaging/message_list.html", {"rows": rows, "form": form,
                                                            "outbox": SmsOutbox.objects.all()[:20]})  # fmt: skip


@staff_required("messaging.send")
def message_detail(request, pk):
    message = get_object_or_404(Message, pk=pk)
    editable = message.status == Message.Status.DRAFT
    form = MessageForm(request.POST if request.POST.get("form") == "edit" else None, instance=message, prefix="edit")
    schedule_form = ScheduleForm(request.POST if request.POST.get("form") == "schedule" else None, prefix="when")
    if request.method == "POST":
        what = request.POST.get("form")
        try:
            if what == "edit" and editable and form.is_valid():
                form.save()
                return redirect("messaging:message", pk=pk)
            if what == "send":
                n = services.send_now(message, actor=request.user)
                flash.success(request, _("Envoi lancé vers %(n)d personnes.") % {"n": n})
                return redirect("messaging:message", pk=pk)
            if what == "schedule" and schedule_form.is_valid():
                services.schedule(message, at=schedule_form.cleaned_data["at"], actor=request.user)
                flash.success(request, _("Envoi programmé."))
                return redirect("messaging:message", pk=pk)
            if what == "cancel":
                services.cancel(message, actor=request.user)
                flash.success(request, _("Envoi annulé."))
                return redirect("messaging:message", pk=pk)
            if what == "test":
                send_test(message, request.user, request.POST.get("contact", ""))
                flash.success(request, _("Message d'essai envoyé à %(email)s.") % {"email": request.user.email})
                return redirect("messaging:message", pk=pk)
        except (services.CannotSend, BadTemplate) as exc:
            flash.error(request, str(exc))
    eligible, excluded = audience(message)
    # Preview as a given person of the audience (?contact=ID), by default the first one.
    recipients = eligible.select_related("household__address")
    sample = _recipient(recipients, request.GET.get("contact", ""))
    context = {
        "message": message, "form": form, "schedule_form": schedule_form, "editable": editable,
        "eligible": eligible.count(), "excluded": [(REASONS[k], n) for k, n in excluded.items()],
        "progress": counts(message), "sample": sample, "choices": recipients.order_by("pk")[:50],
    }  # fmt: skip
    if sample is not None and message.channel == Message.Channel.EMAIL:
        context["preview_subject"], context["preview_html"], _text = preview(message, sample)
    if message.channel == Message.Channel.SMS:
        text = _render_sms(message, sample) if sample is not None else with_stop(message.body)
        context["sms_text"] = text
        context["sms_encoding"], context["sms_length"], context["sms_segments"] = segments(text)
    return render(request, "messaging/message_detail.html", context)


def _recipient(recipients, contact_id):
    """The chosen person of the audience, or its first one."""
    contact_id = parse_id(contact_id)
    chosen = recipients.filter(pk=contact_id).first() if contact_id else None
    return chosen or recipients.first()


def _render_sms(message, contact):
    return fill(with_keys(with_stop(message.body)), values_for(contact))


def send_test(message, user, contact_id=""):
    """The message as the previewed person would get it, to the team member only
    (through the site's mail settings, never to the segment)."""
    eligible, _excluded = audience(message)
    sample = _recipient(eligible.select_related("household__address"), contact_id)
    if sample is None:
        raise services.CannotSend(_("Personne dans ce segment ne peut recevoir ce message."))
    if message.channel == Message.Channel.SMS:
        SmsOutbox.objects.create(to=user.email, body=_render_sms(message, sample))
        return
    subject, html, text = preview(message, sample)
    mail = EmailMultiAlternatives(f"[{_('Essai')}] {subject}", text, to=[user.email])
    mail.attach_alternative(html, "text/html")
    mail.send()


@staff_required("messaging.send")
def message_progress(request, pk):
    message = get_object_or_404(Message, pk=pk)
    return render(request, "messaging/_progress.html", {"message": message, "progress": counts(message)})
