"""Someone met at a door who is not on the walk list: moved in last month, a flatmate,
a daughter now of age. The volunteer types their name and, when the person agrees, how
to reach them; the report carries it as `new_person`:

    {"first_names": "Léa", "last_name": "Martin", "phone": "06 12 34 56 78",
     "email": "lea@example.fr", "consents": ["sms", "email"]}

When the report's effects apply (at once, or when its review batch commits) the person
becomes a contact of that household, or is recognised as a contact the campaign already
has (same e-mail or phone, or the same name in that household). Someone who asked for
their data to be erased stays erased. The report then keeps only what became of them
({"outcome": ...}); the contact holds the rest.
"""

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import consent, gdpr
from crm.models import Contact, CrmSettings, Interaction, SuppressionEntry
from crm.normalise import words
from crm.phones import campaign_region, readable
from crm.services import normalise_phone

CHANNELS = ("email", "sms", "phone")
CHANNEL_LABELS = {"email": gettext_lazy("e-mails"), "sms": gettext_lazy("SMS"), "phone": gettext_lazy("appels")}
NAME_LENGTH = 120
CREATED, MATCHED, SUPPRESSED = "created", "matched", "suppressed"


class BadNewPerson(ValueError):
    pass


def parse(value, region):
    """The `new_person` of a report, checked: {} when absent; raises BadNewPerson with
    a message naming the field."""
    if value in (None, {}):
        return {}
    if not isinstance(value, dict):
        raise BadNewPerson(_("« new_person » doit être un objet JSON."))
    person = {}
    for name in ("first_names", "last_name", "phone", "email"):
        text = value.get(name) or ""
        if not isinstance(text, str) or len(text) > NAME_LENGTH:
            raise BadNewPerson(
                _("« new_person.%(field)s » doit être un texte de %(n)s caractères au plus.")
                % {"field": name, "n": NAME_LENGTH}
            )
        person[name] = " ".join(text.replace("\x00", "").split())
    if not (person["first_names"] or person["last_name"]):
        raise BadNewPerson(_("« new_person » : indiquez au moins le nom ou le prénom de la personne."))
    if person["phone"]:
        try:
            person["phone"] = normalise_phone(person["phone"], region)
        except ValidationError as exc:
            raise BadNewPerson(_("« new_person.phone » : %(error)s") % {"error": exc.messages[0]}) from None
    if person["email"]:
        person["email"] = person["email"].lower()
        try:
            EmailValidator()(person["email"])
        except ValidationError:
            raise BadNewPerson(
                _("« new_person.email » : « %(value)s » n'est pas une adresse e-mail.") % {"value": person["email"]}
            ) from None
    consents = value.get("consents") or []
    if not isinstance(consents, list) or not all(c in CHANNELS for c in consents):
        choices = ", ".join(CHANNELS)
        raise BadNewPerson(_("« new_person.consents » : une liste parmi %(channels)s.") % {"channels": choices})
    for channel in consents:
        needed = "email" if channel == "email" else "phone"
        if not person[needed]:
            raise BadNewPerson(
                _("« new_person.consents » : un accord « %(channel)s » sans %(field)s pour joindre la personne.")
                % {"channel": channel, "field": needed}
            )
    person["consents"] = sorted(set(consents))
    return person


def is_waiting(person):
    """A new person not turned into a contact yet (rather than an outcome)."""
    return bool(person) and "outcome" not in person


def resolve(user, reports, actions):
    """Turn the new people of `reports` (dicts as crm.field.reports.contact_effects takes
    them) into contacts: each such report gets its "contact" (None when the person is
    on the suppression list) and "new_person" becomes the outcome; what they gave (the
    consents, and for a known contact the e-mail and phone) waits in "given" for
    contact_effects (complete_known). Returns the ids of the contacts created."""
    from .models import FieldReport

    created = set()
    for p in reports:
        person = p.get("new_person")
        if not is_waiting(person) or p["contact"]:
            continue
        if gdpr.is_suppressed(email=person["email"], phone=person["phone"]):
            contact, outcome = None, SUPPRESSED
        else:
            contact = _known(person, p.get("household"))
            outcome = MATCHED
            if contact is None:
                contact, outcome = _create(user, person, p, actions[p["action"]]), CREATED
                created.add(contact.pk)
        p["contact"] = contact.pk if contact else None
        p["new_person"] = {"outcome": outcome}
        p["given"] = {key: person[key] for key in ("consents", "email", "phone")} if contact else {}
        FieldReport.objects.filter(pk=p["id"]).update(contact=p["contact"], new_person=p["new_person"])
    return created


def complete_known(user, p):
    """What the person met gave at the door: their consents, logged like the survey's
    answers, and for a contact the campaign knew, an e-mail or phone it did not hold
    (its own when it had none, else one of its other ones)."""
    given = p.get("given")
    if not given:
        return
    contact = Contact.objects.get(pk=p["contact"])
    changed = []
    for kind in ("email", "phone"):
        value, others = given[kind], f"other_{kind}s"
        if not value or value == getattr(contact, kind) or value in getattr(contact, others):
            continue
        if getattr(contact, kind):
            setattr(contact, others, [*getattr(contact, others), value])
            changed.append(others)
        else:
            setattr(contact, kind, value)
            changed.append(kind)
    if changed:
        contact.save(update_fields=[*changed, "updated", "name_key", "search_text"])
    for channel in given["consents"]:
        consent.grant(contact, channel, source=f"field_report:{p['uuid']}", actor=user,
                      reason=_("accord donné sur le terrain"), new_consent=True)  # fmt: skip


def _known(person, household_id):
    """The contact this person already is: the same e-mail, else the same phone, else
    the same first and last name in this household."""
    for kind in ("email", "phone"):
        if person[kind]:
            found = Contact.objects.filter(Contact.holding(kind, person[kind]), erased_at__isnull=True)
            if contact := found.order_by("id").first():
                return contact
    if household_id:
        wanted = (words(person["first_names"]), words(person["last_name"]))
        for contact in Contact.objects.filter(household_id=household_id, erased_at__isnull=True).order_by("id"):
            if (words(contact.first_names), words(contact.last_name)) == wanted:
                return contact
    return None


def _create(user, person, report, action):
    contact = Contact.objects.create(
        first_names=person["first_names"], usage_name=person["last_name"], email=person["email"],
        phone=person["phone"], household_id=report.get("household"),
        source=_("terrain : %(action)s") % {"action": action.name},
    )  # fmt: skip
    Interaction.objects.create(
        contact=contact, kind=Interaction.Kind.EDITED, actor=user,
        summary=_("Rencontré(e) sur le terrain : %(action)s") % {"action": action.name},
        data={"report": report["id"], "created": True},
    )  # fmt: skip
    return contact


def forget_erased_waiting():
    """Someone erased while a report still waits with their details as a new person
    (the same e-mail or phone): those details go at once, and the report says they
    asked for erasure, as it would have said when its batch committed. Returns how
    many reports this changed."""
    from .models import FieldReport

    waiting = FieldReport.objects.exclude(new_person={}).exclude(new_person__has_key="outcome")
    people = list(waiting.values_list("pk", "new_person"))
    if not people:
        return 0
    salt = CrmSettings.current().suppression_salt  # read once, not once a person
    hashes = {pk: set(gdpr.suppression_hashes([person.get("email", "")], [person.get("phone", "")], salt=salt))
              for pk, person in people}  # fmt: skip
    wanted = {digest for held in hashes.values() for _kind, digest in held}
    if not wanted:
        return 0
    suppressed = set(SuppressionEntry.objects.filter(value_hash__in=wanted).values_list("kind", "value_hash"))
    gone = [pk for pk, held in hashes.items() if held & suppressed]
    return FieldReport.objects.filter(pk__in=gone).update(new_person={"outcome": SUPPRESSED})


def forget_rejected(batch):
    """A rejected report's new person is dropped with it: nobody is created, and what
    was typed about them is not kept."""
    batch.reports.exclude(rejected_reason="").exclude(new_person={}).update(new_person={})


def describe(report):
    """What the review page says of a report's new person: {"text", "contact"}, or None."""
    person = report.new_person
    if not person:
        return None
    if is_waiting(person):
        parts = [f"{person['first_names']} {person['last_name']}".strip()]
        if person["phone"]:
            parts.append(readable(person["phone"], campaign_region()))
        if person["email"]:
            parts.append(person["email"])
        if person["consents"]:
            parts.append(_("d'accord pour : %(channels)s")
                         % {"channels": ", ".join(str(CHANNEL_LABELS[c]) for c in person["consents"])})  # fmt: skip
        return {"text": _("Nouvelle personne : %(who)s") % {"who": " · ".join(parts)}, "contact": None}
    text = {
        CREATED: _("Nouvelle fiche créée :"),
        MATCHED: _("Déjà connue :"),
        SUPPRESSED: _("Nouvelle personne non enregistrée : elle a demandé l'effacement de ses données."),
    }.get(person["outcome"], "")
    return {"text": text, "contact": report.contact if person["outcome"] != SUPPRESSED else None}
