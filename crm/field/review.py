"""The review queue: each volunteer's reports of a day wait in a batch; a team leader
sees its figures and anomaly flags, corrects an answer, rejects a report, commits the
batch — or lets it commit by itself after the campaign's delay. Committing applies
what the reports change on contacts and records each change, so that a committed
batch can be rolled back: every change undone, in the timeline and the audit log."""

import datetime as dt
import statistics
from collections import Counter

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.accounts.models import AuditEntry
from crm.models import ConsentEvent, Contact, ImportedRow, Interaction, Tag

from . import people
from .actions import clean_answers
from .models import BatchChange, FieldReport, ReviewBatch, ReviewSettings, Turf

# A contact the batch created (someone met at a door): rolling back removes it.
CREATED = "created"
TRACKED = [
    "support_level",
    "consent_email",
    "consent_sms",
    "consent_phone",
    "consent_door",
    "last_contacted_at",
    "email",
    "phone",
    "other_emails",
    "other_phones",
]


class ReviewError(ValueError):
    pass


def batch_for_new_reports(user, *, now=None):
    """The volunteer's open batch of the day, which their new reports join (its id),
    or None when the campaign does not review (delay 0): the caller then applies the
    reports' effects at once.

    The batch row is updated (or inserted) before the reports are stored: that locks it
    until this transaction ends, so a commit running at the same moment (which locks it
    too) either sees these reports or has already closed the batch, in which case a new
    one opens. One statement either way: the day's first sync of every volunteer opens
    a batch, all of them at once when a team sets out."""
    if not ReviewSettings.cached().delay_minutes:
        return None
    now = now or timezone.now()
    day = timezone.localdate(now)
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH kept AS (
                UPDATE field_reviewbatch SET last_report_at = %(now)s
                 WHERE volunteer_id = %(user)s AND day = %(day)s AND status = 'pending' RETURNING id),
            opened AS (
                INSERT INTO field_reviewbatch (volunteer_id, day, status, last_report_at, automatic)
                SELECT %(user)s, %(day)s, 'pending', %(now)s, false WHERE NOT EXISTS (SELECT 1 FROM kept)
                ON CONFLICT (volunteer_id, day) WHERE status = 'pending' DO NOTHING RETURNING id)
            SELECT id FROM kept UNION ALL SELECT id FROM opened
            """,
            {"now": now, "user": user.pk, "day": day},
        )
        row = cur.fetchone()
    # Nothing: another sync of this volunteer opened the batch meanwhile.
    return row[0] if row else open_batch(user, now).pk


def open_batch(user, now):
    day = timezone.localdate(now)
    for _attempt in range(2):
        found = ReviewBatch.objects.filter(volunteer=user, day=day, status=ReviewBatch.Status.PENDING).first()
        if found:
            return found
        try:
            with transaction.atomic():
                return ReviewBatch.objects.create(volunteer=user, day=day, last_report_at=now)
        except IntegrityError:
            continue  # opened by a concurrent request: use it
    return ReviewBatch.objects.get(volunteer=user, day=day, status=ReviewBatch.Status.PENDING)


# -- Figures and anomaly flags -----------------------------------------------------------


def figures(batch, settings=None):
    """Doors, contact rate, median seconds between doors, results, and flags."""
    settings = settings or ReviewSettings.current()
    reports = list(
        batch.reports.filter(rejected_reason="")
        .select_related("action", "address", "household", "contact")
        .order_by("done_at", "id")
    )
    doors = [r for r in reports if r.address_id]
    gaps = [(b.done_at - a.done_at).total_seconds() for a, b in zip(doors, doors[1:], strict=False)]
    flags = {r.pk: [] for r in reports}
    for previous, current in zip(doors, doors[1:], strict=False):
        if (current.done_at - previous.done_at).total_seconds() < settings.min_seconds_between_doors:
            flags[current.pk].append("too_fast")
    far = set(
        FieldReport.objects.filter(pk__in=[r.pk for r in reports], location_source="gps", address__point__isnull=False)
        .extra(
            where=["ST_Distance(field_fieldreport.location::geography, crm_address.point::geography) > %s"],
            params=[settings.max_gps_distance_m],
        )  # fmt: skip
        .values_list("pk", flat=True)
    )
    for pk in far:
        flags[pk].append("far_from_address")
    # Reports at an address that is not one of their turf's, in one query.
    in_turf = Turf.addresses.through.objects.filter(turf_id=OuterRef("turf_id"), address_id=OuterRef("address_id"))
    outside = set(
        FieldReport.objects.filter(pk__in=[r.pk for r in reports], turf__isnull=False, address__isnull=False)
        .exclude(Exists(in_turf))
        .values_list("pk", flat=True)
    )
    for r in reports:
        local = timezone.localtime(r.done_at).date()
        if not r.action.starts_on <= local <= r.action.ends_on:
            flags[r.pk].append("outside_action_dates")
        if r.pk in outside:
            flags[r.pk].append("outside_turf")
    results = Counter(r.result_label for r in reports)
    batch_flags = []
    if len(doors) >= settings.same_result_min and len({r.result for r in doors}) == 1:
        batch_flags.append("same_result")
    if any(flags.values()):
        batch_flags += sorted({f for fl in flags.values() for f in fl})
    return {
        "reports": reports,
        "doors": len(doors),
        "reached": sum(1 for r in reports if r.reached),
        "contact_rate": round(sum(1 for r in reports if r.reached) / len(reports), 3) if reports else None,
        "median_seconds": statistics.median(gaps) if gaps else None,
        "results": results.most_common(),
        "flags": flags,
        "batch_flags": batch_flags,
        "rejected": batch.reports.exclude(rejected_reason="").count(),
    }


FLAG_LABELS = {
    "too_fast": gettext_lazy("trop peu de temps entre deux portes"),
    "far_from_address": gettext_lazy("position GPS loin de l'adresse"),
    "outside_action_dates": gettext_lazy("hors des dates de l'action"),
    "outside_turf": gettext_lazy("hors du secteur"),
    "same_result": gettext_lazy("le même résultat à chaque porte"),
}


# -- Reviewing ---------------------------------------------------------------------------


def _pending(batch):
    if batch.status != ReviewBatch.Status.PENDING:
        raise ReviewError(_("Ce lot est déjà validé : il ne peut plus être modifié (il peut être annulé)."))


def reject(report, *, reason, actor):
    if not reason.strip():
        raise ReviewError(_("Indiquez le motif du rejet."))
    _pending(report.batch)
    report.rejected_reason = reason.strip()[:300]
    report.save(update_fields=["rejected_reason"])
    AuditEntry.objects.create(actor=actor, action="field_report.rejected", target_type="field_report",
                              target_id=str(report.pk), data={"reason": report.rejected_reason})  # fmt: skip


def correct(report, *, answers, actor):
    """Replace a report's answers (checked against the action's survey) before commit."""
    _pending(report.batch)
    cleaned = clean_answers(report.action, answers)
    before = report.answers
    report.answers = cleaned
    report.save(update_fields=["answers"])
    AuditEntry.objects.create(actor=actor, action="field_report.corrected", target_type="field_report",
                              target_id=str(report.pk), data={"before": before, "after": cleaned})  # fmt: skip


def _snapshot(contact_ids):
    rows = {c["id"]: c for c in Contact.objects.filter(pk__in=contact_ids).values("id", *TRACKED)}
    for c in rows.values():
        c["tags"] = []
    for contact_id, name in Tag.contacts.through.objects.filter(contact_id__in=contact_ids).values_list(
        "contact_id", "tag__name"
    ):
        rows[contact_id]["tags"].append(name)
    for c in rows.values():
        c["tags"].sort()
        if c["last_contacted_at"]:
            c["last_contacted_at"] = c["last_contacted_at"].isoformat()
    return rows


def commit(batch, *, actor=None, automatic=False, now=None):
    """Apply what the batch's reports (not rejected) change on contacts, once."""
    from .reports import contact_effects

    with transaction.atomic():
        batch = ReviewBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ReviewBatch.Status.PENDING:
            return batch
        reports = list(
            batch.reports.filter(rejected_reason="").select_related("action", "contact").order_by("done_at", "id")
        )
        # A person erased while their report waited for review gets nothing of it (a sync
        # refuses reports about erased people, so only a batch waiting can hold one).
        items = [
            {"id": r.pk, "uuid": str(r.uuid), "action": r.action_id, "kind": r.action.kind, "contact": r.contact_id,
             "household": r.household_id, "result": r.result, "reached": r.reached, "answers": r.answers,
             "done_at": r.done_at, "notes": r.notes, "new_person": r.new_person}
            for r in reports if not (r.contact and r.contact.erased_at)
        ]  # fmt: skip
        actions = {r.action_id: r.action for r in reports}
        # People met at a door become contacts (or are recognised) first, so that the
        # changes the reports then make to known people are recorded like any other.
        created = people.resolve(batch.volunteer, items, actions)
        people.forget_rejected(batch)
        contact_ids = {p["contact"] for p in items if p["contact"]} - created
        before = _snapshot(contact_ids)
        contact_effects(batch.volunteer, items, actions)
        after = _snapshot(contact_ids)
        BatchChange.objects.bulk_create(
            [BatchChange(batch=batch, contact_id=cid, field=field, old=before[cid][field], new=after[cid][field])
             for cid in contact_ids for field in [*TRACKED, "tags"]
             if before[cid][field] != after[cid][field]]
            + [BatchChange(batch=batch, contact_id=cid, field=CREATED, old=None, new=True) for cid in sorted(created)]
        )  # fmt: skip
        batch.status, batch.committed_at = ReviewBatch.Status.COMMITTED, now or timezone.now()
        batch.committed_by, batch.automatic = actor, automatic
        batch.save(update_fields=["status", "committed_at", "committed_by", "automatic"])
        AuditEntry.objects.create(
            actor=actor, action="review_batch.committed", target_type="review_batch", target_id=str(batch.pk),
            data={"reports": len(reports), "automatic": automatic},
        )  # fmt: skip
    return batch


def commit_due(*, now=None):
    """Commit the batches nobody reviewed within the campaign's delay."""
    now = now or timezone.now()
    delay = ReviewSettings.current().delay_minutes
    if not delay:
        return 0
    due = ReviewBatch.objects.filter(status=ReviewBatch.Status.PENDING,
                                     last_report_at__lte=now - dt.timedelta(minutes=delay))  # fmt: skip
    count = 0
    for batch in due:
        commit(batch, automatic=True, now=now)
        count += 1
    return count


def rollback(batch, *, actor, reason=""):
    """Undo every contact change a committed batch made; its reports stay, marked."""
    with transaction.atomic():
        batch = ReviewBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ReviewBatch.Status.COMMITTED:
            raise ReviewError(_("Seul un lot validé peut être annulé."))
        report_ids = list(batch.reports.values_list("pk", flat=True))
        changes = list(batch.changes.order_by("-id"))
        created = {c.contact_id for c in changes if c.field == CREATED}
        changes = [c for c in changes if c.field != CREATED]
        touched = {}
        for change in changes:
            contact = touched.get(change.contact_id) or Contact.objects.get(pk=change.contact_id)
            touched[change.contact_id] = contact
            if change.field == "tags":
                contact.tags.set(Tag.objects.filter(name__in=change.old or []))
                continue
            value = change.old
            if change.field == "last_contacted_at" and value:
                value = dt.datetime.fromisoformat(value)
            setattr(contact, change.field, value)
            if change.field.startswith("consent_"):
                ConsentEvent.objects.create(contact=contact, channel=change.field.removeprefix("consent_"),
                                            granted=bool(value), source=f"rollback:batch:{batch.pk}", actor=actor,
                                            reason=reason or _("annulation d'un lot de terrain"))  # fmt: skip
        for contact in touched.values():
            contact.save()
        Interaction.objects.filter(kind=Interaction.Kind.FIELD_REPORT, data__report__in=report_ids).delete()
        removed = _remove_created(created, report_ids)
        for contact_id in ({c.contact_id for c in changes} | set(
            FieldReport.objects.filter(pk__in=report_ids, contact__isnull=False).values_list("contact_id", flat=True)
        )) - removed:  # fmt: skip
            Interaction.objects.create(
                contact_id=contact_id, kind=Interaction.Kind.EDITED, actor=actor,
                summary=_("Visite annulée à la revue (lot du %(day)s)") % {"day": batch.day.strftime("%d/%m/%Y")},
                data={"batch": batch.pk, "reason": reason},
            )  # fmt: skip
        batch.status = ReviewBatch.Status.ROLLED_BACK
        batch.save(update_fields=["status"])
        AuditEntry.objects.create(actor=actor, action="review_batch.rolled_back", target_type="review_batch",
                                  target_id=str(batch.pk),
                                  data={"changes": [{"contact": c.contact_id, "field": c.field, "restored": c.old}
                                                    for c in changes],
                                        "removed": sorted(removed), "kept": sorted(created - removed),
                                        "reason": reason})  # fmt: skip
    return batch


def _remove_created(contact_ids, report_ids):
    """Delete the contacts the batch created, unless something happened to them since
    (a message, a note, another visit, an import): those are kept. Returns the ids
    deleted."""
    own = Q(kind=Interaction.Kind.EDITED, data__created=True, data__report__in=report_ids)
    since = Interaction.objects.filter(contact_id=OuterRef("pk")).exclude(own)
    other_visits = FieldReport.objects.filter(contact_id=OuterRef("pk")).exclude(pk__in=report_ids)
    gone = Contact.objects.filter(pk__in=contact_ids).exclude(Exists(since)).exclude(Exists(other_visits))
    gone = gone.exclude(Exists(ImportedRow.objects.filter(contact_id=OuterRef("pk"))))
    removed = set(gone.values_list("pk", flat=True))
    Contact.objects.filter(pk__in=removed).delete()
    return removed
