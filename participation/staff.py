"""The team's pages for the public site (under /equipe/site/): settings, pages, news,
events and their registrations, projects from presets, moderation."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.http import posted_text
from crm.views import staff_required

from . import moderation, services
from .forms import (
    BanForm,
    EventForm,
    HideForm,
    NewsPostForm,
    PageForm,
    ProjectForm,
    ProjectFromPresetForm,
    SiteSettingsForm,
    StepFormSet,
)
from .models import Event, ModerationEntry, NewsPost, Page, Project, SiteSettings
from .presets import PROJECT_PRESETS
from .views import posted


@staff_required("site.edit")
def overview(request):
    return render(request, "participation/staff/overview.html", {
        "news": NewsPost.objects.all()[:20], "events": Event.objects.order_by("-starts_at")[:20],
        "projects": Project.objects.all(), "pages": Page.objects.all(),
        "queue_size": len(moderation.queue()) if request.user.has_perm("site.moderate") else None,
    })  # fmt: skip


@staff_required("site.edit")
def site_settings(request):
    form = SiteSettingsForm(
        posted(request), request.FILES if request.method == "POST" else None, instance=SiteSettings.current()
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Réglages enregistrés."))
        return redirect("site-staff:settings")
    return _form_page(request, form, _("Réglages du site"))


def _form_page(request, form, title, *, obj=None, extra=None, status=None):
    status = status or (400 if request.method == "POST" else 200)
    context = {"form": form, "title": title, "obj": obj, **(extra or {})}
    return render(request, "participation/staff/form.html", context, status=status)


def _edit(request, model, form_class, pk, *, title, slug_from="title", before_save=None):
    obj = get_object_or_404(model, pk=pk) if pk else None
    form = form_class(posted(request), request.FILES if request.method == "POST" else None, instance=obj)
    if request.method == "POST" and form.is_valid():
        item = form.save(commit=False)
        if "slug" in form.fields and not item.slug:
            item.slug = services.unique_slug(model, getattr(item, slug_from))
        if before_save:
            before_save(item, form)
        item.save()
        form.save_m2m()
        messages.success(request, _("« %(title)s » enregistré.") % {"title": item})
        return redirect("site-staff:overview")
    # The form wrote what was posted into `obj` while validating; the "see on the site"
    # link must name the stored row (a blanked slug would not even reverse).
    stored = model.objects.filter(pk=pk).first() if pk else None
    return _form_page(request, form, title, obj=stored)


@staff_required("site.edit")
def page_edit(request, pk=None):
    return _edit(request, Page, PageForm, pk, title=_("Page"))


@staff_required("site.edit")
def news_edit(request, pk=None):
    def publish(post, form):
        if form.cleaned_data["publish"] and not post.published_at:
            post.published_at = timezone.now()
        elif not form.cleaned_data["publish"]:
            post.published_at = None
        post.author = post.author or request.user

    return _edit(request, NewsPost, NewsPostForm, pk, title=_("Actualité"), before_save=publish)


@staff_required("site.edit")
def event_edit(request, pk=None):
    return _edit(request, Event, EventForm, pk, title=_("Événement"))


@staff_required("site.edit")
def event_registrations(request, pk):
    event = get_object_or_404(Event, pk=pk)
    return render(request, "participation/staff/registrations.html", {
        "event": event, "rsvps": event.rsvps.all(), "counts": services.rsvp_counts(event),
    })  # fmt: skip


@staff_required("site.edit")
def project_new(request):
    form = ProjectFromPresetForm(posted(request), initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start = timezone.make_aware(dt.datetime.combine(data["starts_on"], dt.time()))
        project = services.create_project(
            data["preset"], title=data["title"] or None, starts_at=start, days=data["days"], actor=request.user,
            visibility=data["visibility"], anonymous=data["anonymous"],
        )  # fmt: skip
        messages.success(request, _("Projet « %(title)s » ouvert avec %(n)d étapes.")
                         % {"title": project.title, "n": project.steps.count()})  # fmt: skip
        return redirect("site-staff:project", pk=project.pk)
    return _form_page(request, form, _("Ouvrir un projet"), extra={"presets": PROJECT_PRESETS.values()})


@staff_required("site.edit")
def project_edit(request, pk):
    project = get_object_or_404(Project, pk=pk)
    form = ProjectForm(posted(request), instance=project, prefix="project")
    steps = StepFormSet(posted(request), instance=project, prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        with transaction.atomic():
            form.save()
            steps.save()
        messages.success(request, _("Projet enregistré."))
        return redirect("site-staff:project", pk=pk)
    return render(request, "participation/staff/project.html", {"project": project, "form": form, "steps": steps},
                  status=400 if request.method == "POST" else 200)  # fmt: skip


# -- Moderation ---------------------------------------------------------------------------


@staff_required("site.moderate")
def moderation_queue(request):
    return render(request, "participation/staff/moderation.html", {
        "items": [(obj, n, flags, ContentType.objects.get_for_model(obj).pk) for obj, n, flags in moderation.queue()],
        "log": ModerationEntry.objects.select_related("moderator")[:50],
        "hide_form": HideForm(), "ban_form": BanForm(),
    })  # fmt: skip


def _target(ct, pk):
    model = ContentType.objects.get_for_id(ct).model_class()
    if model not in moderation.MODERATED_MODELS:
        raise Http404
    return get_object_or_404(model, pk=pk)


@require_POST
@staff_required("site.moderate")
def moderate(request, ct, pk):
    obj = _target(ct, pk)
    what = request.POST.get("do")
    if what == "hide":
        form = HideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Indiquez le motif public du masquage."))
            return redirect("site-staff:moderation")
        moderation.hide(obj, moderator=request.user, reason=form.cleaned_data["reason"])
    elif what == "restore":
        moderation.restore(obj, moderator=request.user)
    elif what == "trash":
        moderation.trash(obj, moderator=request.user, reason=posted_text(request, "reason"))
    elif what == "dismiss":
        moderation.dismiss_flags(obj, moderator=request.user)
    elif what == "ban":
        form = BanForm(request.POST)
        author = getattr(obj, "author", None)
        if author is None or not form.is_valid():
            messages.error(request, _("Impossible de suspendre : auteur inconnu ou durée invalide."))
            return redirect("site-staff:moderation")
        if author.role != "citizen":
            messages.error(request, _("Seuls les comptes citoyens peuvent être suspendus ici."))
            return redirect("site-staff:moderation")
        moderation.ban(author, days=form.cleaned_data["days"], moderator=request.user,
                       reason=form.cleaned_data["reason"])  # fmt: skip
    else:
        messages.error(request, _("Action de modération inconnue."))
        return redirect("site-staff:moderation")
    messages.success(request, _("Décision enregistrée."))
    return redirect("site-staff:moderation")


@require_POST
@staff_required("site.moderate")
def unban(request, user_pk):
    user = get_object_or_404(get_user_model(), pk=user_pk)
    moderation.unban(user, moderator=request.user)
    messages.success(request, _("Suspension levée."))
    return redirect("site-staff:moderation")
