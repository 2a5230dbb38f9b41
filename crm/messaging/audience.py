"""Who a message goes to: the segment's people with a valid opt-in for the channel,
a usable address, and not on the suppression list; and who is left out, and why."""

from django.db import connection
from django.db.models import CharField, Count, Exists, Func, OuterRef, Q, Value
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext_lazy as _

from crm.contacting import recent_contact_q, window_start
from crm.models import CrmSettings, SuppressionEntry
from crm.segments import contacts_matching

from .models import Message, Send

REASONS = {
    "no_address": _("sans adresse e-mail"),
    "no_phone": _("sans numéro de mobile"),
    "no_consent": _("sans accord pour ce canal"),
    "bounced": _("adresse invalide (rejet définitif)"),
    "suppressed": _("sur la liste d'exclusion"),
    "recently_contacted": _("contactés récemment (ne pas recontacter)"),
}


class Sha256Hex(Func):
    """PostgreSQL's built-in sha256 (Django's SHA256 needs the pgcrypto extension)."""

    template = "encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')"
    output_field = CharField()


def _on_suppression_list(salt, column, kind):
    # Same hash as crm.gdpr.suppression_hashes: sha256("<salt>:<value>").
    digest = Sha256Hex(Concat(Value(f"{salt}:"), column, output_field=CharField()))
    return Exists(SuppressionEntry.objects.filter(kind=kind, value_hash=digest))


def audience(message):
    """(eligible contacts queryset, {reason: count excluded})."""
    people = contacts_matching(message.segment.filters)
    if message.channel == Message.Channel.EMAIL:
        checks = [
            ("no_address", Q(email="")),
            ("no_consent", ~Q(consent_email=True)),
            ("bounced", Q(email_bounced_at__isnull=False)),
        ]
        column, kind = Lower(OuterRef("email")), "email"
    else:
        # French mobiles (and any E.164 number outside metropolitan landline ranges).
        checks = [
            ("no_phone", Q(phone="") | Q(phone__regex=r"^\+33[1-59]")),
            ("no_consent", ~Q(consent_sms=True)),
        ]
        since = window_start()
        if since:
            # No double contact: a number reached lately (a call, a visit, a message).
            checks.append(("recently_contacted", recent_contact_q(since)))
        column, kind = OuterRef("phone"), "phone"
    excluded, remaining = {}, people
    for reason, condition in checks:
        excluded[reason] = remaining.filter(condition).count()
        remaining = remaining.exclude(condition)
    listed = _on_suppression_list(CrmSettings.current().suppression_salt, column, kind)
    excluded["suppressed"] = remaining.filter(listed).count()
    eligible = remaining.exclude(listed)
    return eligible, {k: v for k, v in excluded.items() if v}


def materialise(message):
    """One Send row per eligible person, made once (re-running adds only newcomers)."""
    eligible, _excluded = audience(message)
    to = "email" if message.channel == Message.Channel.EMAIL else "phone"
    sql, params = eligible.order_by().values("pk", to).query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(
            'INSERT INTO messaging_send (message_id, contact_id, "to", status, attempts, provider_id, error, '  # noqa: S608
            f"updated) SELECT %s, c.id, c.addr, 'pending', 0, '', '', now() FROM ({sql}) AS c(id, addr) "
            f"ON CONFLICT (message_id, contact_id) DO NOTHING",
            [message.pk, *params],
        )
        return cur.rowcount


def counts(message):
    """Sent / failed / remaining and the provider's figures, for the progress bar and stats."""
    by_status = dict(Send.objects.filter(message=message).values_list("status").annotate(n=Count("id")).order_by())
    total = sum(by_status.values())
    remaining = by_status.get(Send.Status.PENDING, 0) + by_status.get(Send.Status.CLAIMED, 0)
    failed = sum(by_status.get(s, 0) for s in (Send.Status.FAILED, Send.Status.BOUNCED, Send.Status.DROPPED))
    labels = dict(Send.Status.choices)
    return {"total": total, "remaining": remaining, "failed": failed, "sent": total - remaining - failed,
            "by_status": {labels[k]: v for k, v in by_status.items()}}  # fmt: skip
