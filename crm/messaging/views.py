from django.core import signing
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm import consent

from .email import read_unsubscribe_token
from .models import MessagingSettings, Send
from .webhooks import (
    apply_inbound_sms,
    apply_sendgrid_events,
    parse_events,
    sendgrid_signature_ok,
    twilio_signature_ok,
)


@csrf_exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token; the signed link is the key
def unsubscribe(request, token):
    """Works without an account: the link in the mail is signed for one recipient."""
    try:
        schema, send_id = read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404(_("Ce lien de désabonnement n'est pas valide.")) from None
    if schema != connection.schema_name:
        raise Http404(_("Ce lien de désabonnement n'est pas valide."))
    send = Send.objects.select_related("contact").filter(pk=send_id).first()
    if send is None or send.contact.erased_at:
        return render(request, "messaging/unsubscribed.html", {"done": True})
    if request.method == "POST":
        # An unsubscribe is an opt-out of every channel and action (crm/consent.py).
        consent.opt_out(send.contact, source=f"unsubscribe:message:{send.message_id}")
        Send.objects.filter(pk=send.pk).update(status=Send.Status.UNSUBSCRIBED)
        return render(request, "messaging/unsubscribed.html",
                      {"done": True, "text": MessagingSettings.current().optout_text_email})  # fmt: skip
    return render(request, "messaging/unsubscribed.html", {"done": False, "email": send.to})


@csrf_exempt
@require_POST
def sendgrid_events(request):
    payload = request.body.decode("utf-8", errors="replace")
    signature = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
    timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
    if not sendgrid_signature_ok(payload, signature, timestamp):
        return JsonResponse({"detail": _("Signature absente ou invalide.")}, status=403)
    try:
        events = parse_events(payload)
    except ValueError:
        return JsonResponse({"detail": _("Le corps doit être une liste JSON d'événements.")}, status=400)
    return JsonResponse({"applied": apply_sendgrid_events(events)})


@csrf_exempt
@require_POST
def inbound_sms(request):
    params = {k: request.POST.get(k) for k in request.POST}
    if not twilio_signature_ok(request.build_absolute_uri(), params, request.headers.get("X-Twilio-Signature", "")):
        return JsonResponse({"detail": _("Signature absente ou invalide.")}, status=403)
    opted_out = apply_inbound_sms(params)
    reply = MessagingSettings.current().optout_text_sms if opted_out else ""
    body = f"<Message>{escape(reply)}</Message>" if reply else ""
    return HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>', content_type="text/xml")
