"""Business logic of the public site: projects from presets, events and RSVPs."""

import datetime as dt
import itertools
import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from campaigns.accounts.models import AuditEntry
from campaigns.tenancy import campaign_zone

from .models import Event, Project, Rsvp, Step
from .presets import DEFAULT_DAYS, PROJECT_PRESETS


class UnknownPreset(ValueError):
    pass


def unique_slug(model, text, *, max_length=100):
    base = slugify(text)[:max_length].strip("-") or "x"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base[: max_length - 4]}-{n}", n + 1
    return slug


def campaign_language():
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "language", None) or settings.LANGUAGE_CODE


def lay_out(shares, *, start, days):
    """(start, end) per share, laid end to end over `days` days from `start`. With a
    day or more per step, steps change at the hour `start` has (midnight for a project:
    "du 29 nov. au 8 déc.", not "jusqu'au 8 déc. à 12 h"), each at least a day long."""
    total = sum(shares) or 1
    done = list(itertools.accumulate(shares[:-1]))  # the shares behind each change of step
    if days < len(shares):  # fewer days than steps: shares of the time as they are
        cuts = [dt.timedelta(days=days) * (d / total) for d in done]
    else:
        whole = []
        for i, d in enumerate(done):
            earliest = (whole[-1] if whole else 0) + 1  # a day after the step before
            latest = days - (len(done) - i)  # a day left to each step after
            whole.append(min(max(round(days * d / total), earliest), latest))
        cuts = [dt.timedelta(days=n) for n in whole]
    ends = [start + cut for cut in cuts] + [start + dt.timedelta(days=days)]
    return list(zip([start, *ends[:-1]], ends, strict=True))


@transaction.atomic
def create_project(preset_name, *, title=None, starts_at=None, days=DEFAULT_DAYS, actor=None, **fields):
    """A project with the preset's steps laid over `days` days and its starter content,
    written in the campaign's language."""
    preset = PROJECT_PRESETS.get(preset_name)
    if preset is None:
        raise UnknownPreset(
            _("Modèle de projet « %(name)s » inconnu. Modèles disponibles : %(names)s.")
            % {"name": preset_name, "names": ", ".join(sorted(PROJECT_PRESETS))}
        )
    if days < 1:
        raise ValueError(_("La durée doit être d'au moins un jour."))
    # Today's midnight where the campaign is (UTC midnight is 1 or 2 a.m. in France).
    start = starts_at or timezone.localtime(timezone.now(), campaign_zone()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    with translation.override(campaign_language()):
        title = title or str(preset.label)
        project = Project.objects.create(
            title=title, slug=unique_slug(Project, title), summary=str(preset.summary),
            description=str(preset.description), preset=preset.name, **fields,
        )  # fmt: skip
        windows = lay_out([s.share for s in preset.steps], start=start, days=days)
        Step.objects.bulk_create(
            Step(
                project=project,
                position=i,
                kind=spec.kind,
                title=str(spec.title),
                description=str(spec.description),
                starts_at=begin,
                ends_at=end,
                config=_starter_content(spec),
            )  # fmt: skip
            for i, (spec, (begin, end)) in enumerate(zip(preset.steps, windows, strict=True), start=1)
        )
    AuditEntry.objects.create(
        actor=actor, action="project.created", target_type="project", target_id=str(project.pk),
        data={"preset": preset.name, "days": days},
    )  # fmt: skip
    return project


def _starter_content(spec):
    config = {}
    if spec.themes:
        config["themes"] = [str(t) for t in spec.themes]
    if spec.questions:
        config["questions"] = [
            {
                key: ([str(c) for c in value] if key == "choices" else str(value) if key == "label" else value)
                for key, value in question.items()
            }
            | {"id": f"q{n}"}
            for n, question in enumerate(spec.questions, start=1)
        ]
    return config


def current_step(project, now=None):
    """The open step, or the next one, or the last one."""
    steps = list(project.steps.all())
    now = now or timezone.now()
    for wanted in (Step.Status.OPEN, Step.Status.UPCOMING):
        for step in steps:
            if step.status(now) == wanted:
                return step
    return steps[-1] if steps else None


# -- Events --------------------------------------------------------------------------------


class EventFull(ValueError):
    pass


def rsvp(event, *, name, email, user=None):
    """Register someone for an event: a seat while there are some, the waiting list after.

    The event row is locked while seats are counted, so concurrent registrations
    never exceed the capacity. Registering twice returns the existing registration."""
    email = email.strip().lower()
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        existing = Rsvp.objects.filter(event=event, email=email).first()
        if existing and existing.status != Rsvp.Status.CANCELLED:
            return existing
        going = Rsvp.objects.filter(event=event, status=Rsvp.Status.GOING).count()
        status = Rsvp.Status.GOING if event.capacity is None or going < event.capacity else Rsvp.Status.WAITING
        if existing:
            existing.status, existing.name, existing.user = status, name, user or existing.user
            existing.save(update_fields=["status", "name", "user"])
            registration = existing
        else:
            registration = Rsvp.objects.create(event=event, name=name, email=email, user=user, status=status)
    transaction.on_commit(lambda: _mail_rsvp(registration))
    return registration


def cancel_rsvp(registration):
    """Cancel a registration; the first person waiting takes the freed seat."""
    promoted = None
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=registration.event_id)
        registration.refresh_from_db()
        if registration.status == Rsvp.Status.CANCELLED:
            return None
        was_going = registration.status == Rsvp.Status.GOING
        registration.status = Rsvp.Status.CANCELLED
        registration.save(update_fields=["status"])
        if was_going:
            promoted = event.rsvps.filter(status=Rsvp.Status.WAITING).order_by("created", "id").first()
            if promoted:
                promoted.status = Rsvp.Status.GOING
                promoted.save(update_fields=["status"])
    if promoted:
        transaction.on_commit(lambda: _mail_rsvp(promoted, promoted_from_waiting=True))
    return promoted


def rsvp_counts(event):
    from django.db.models import Count, Q

    return event.rsvps.aggregate(
        going=Count("id", filter=Q(status=Rsvp.Status.GOING)),
        waiting=Count("id", filter=Q(status=Rsvp.Status.WAITING)),
    )


def _mail_rsvp(registration, *, promoted_from_waiting=False):
    event = registration.event
    when = timezone.localtime(event.starts_at).strftime("%d/%m/%Y %H:%M")
    if registration.status == Rsvp.Status.GOING:
        subject = (
            _("Une place s'est libérée : %(title)s")
            if promoted_from_waiting
            else _("Inscription confirmée : %(title)s")
        ) % {"title": event.title}
        body = _("Vous êtes inscrit·e à « %(title)s », le %(when)s. %(place)s") % {
            "title": event.title, "when": when, "place": event.place,
        }  # fmt: skip
    else:
        subject = _("Liste d'attente : %(title)s") % {"title": event.title}
        body = _(
            "L'événement « %(title)s » est complet. Vous êtes sur la liste d'attente et recevrez un message "
            "si une place se libère."
        ) % {"title": event.title}
    send_mail(subject, body, None, [registration.email])


def send_event_reminders(*, now=None, ahead=dt.timedelta(hours=24)):
    """E-mail the people going to events starting within `ahead`, once per event."""
    now = now or timezone.now()
    sent = 0
    for event in Event.objects.filter(
        published=True, reminder_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=now + ahead
    ):
        with transaction.atomic():
            claimed = Event.objects.filter(pk=event.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
            if not claimed:
                continue
            when = timezone.localtime(event.starts_at).strftime("%d/%m/%Y %H:%M")
            for registration in event.rsvps.filter(status=Rsvp.Status.GOING):
                send_mail(
                    _("Rappel : %(title)s") % {"title": event.title},
                    _("Rendez-vous le %(when)s. %(place)s %(url)s")
                    % {"when": when, "place": event.place, "url": event.online_url},
                    None,
                    [registration.email],
                )
                sent += 1
    return sent


def _ics_text(value):
    return str(value).replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,").replace("\n", r"\n")


def _ics_fold(line):
    # RFC 5545: lines of at most 75 octets, continued with a leading space.
    raw, out = line.encode(), []
    while len(raw) > 75:
        cut = 75
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # do not split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = b" " + raw[cut:]
    out.append(raw.decode())
    return "\r\n".join(out)


def event_ics(event, *, url):
    """The event as an iCalendar file (RFC 5545)."""
    fmt = "%Y%m%dT%H%M%SZ"
    ends = event.ends_at or event.starts_at + dt.timedelta(hours=2)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Terrain//Campaign events//FR",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}-{uuid.uuid5(uuid.NAMESPACE_URL, url)}@terrain",
        f"DTSTAMP:{timezone.now().astimezone(dt.UTC):{fmt}}",
        f"DTSTART:{event.starts_at.astimezone(dt.UTC):{fmt}}",
        f"DTEND:{ends.astimezone(dt.UTC):{fmt}}",
        f"SUMMARY:{_ics_text(event.title)}",
        f"DESCRIPTION:{_ics_text(event.description)}",
        f"LOCATION:{_ics_text(event.place or event.online_url)}",
        f"URL:{url}",
    ]
    if event.location:
        lines.append(f"GEO:{event.location.y:.6f};{event.location.x:.6f}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


# -- Starter pages ------------------------------------------------------------------------

STARTER_PAGES = [
    ("programme", "Le programme", "Notre programme, construit avec vous. (À compléter par l'équipe.)", 1),
    ("equipe", "L'équipe", "Qui sommes-nous ? (À compléter par l'équipe.)", 2),
    (
        "mentions-legales",
        "Mentions légales",
        "**Éditeur du site** : (nom de la campagne ou de l'organisation, adresse, contact).\n\n"
        "**Directeur de la publication** : (nom).\n\n**Hébergeur** : (nom, adresse).",
        8,
    ),
    (
        "confidentialite",
        "Politique de confidentialité",
        "**Responsable du traitement** : (nom, contact).\n\n"
        "**Données collectées** : adresse e-mail, nom, et celles que vous choisissez de donner "
        "(téléphone, contributions). Vos opinions politiques sont des données sensibles : elles ne sont "
        "utilisées que par l'équipe de campagne et ne sont jamais transmises.\n\n"
        "**Vos choix** : chaque canal d'information (e-mail, SMS) demande votre accord explicite, "
        "modifiable depuis votre profil ; chaque message contient un lien de désinscription.\n\n"
        "**Vos droits** : accès, rectification, effacement — écrivez-nous, ou supprimez votre compte "
        "depuis votre profil. **Conservation** : jusqu'à la fin de la campagne, puis suppression.",
        9,
    ),
]


def create_starter_pages():
    """The pages every campaign site needs, to be completed by the team (French text:
    the team rewrites them in its own words anyway)."""
    from .models import Page

    for slug, title, body, order in STARTER_PAGES:
        Page.objects.get_or_create(
            slug=slug, defaults={"title": title, "body": body, "menu_order": order, "in_menu": order < 5}
        )
