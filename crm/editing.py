"""A person of the team creating or changing a contact by hand, the same way from the
team's pages (crm/views.py) and the API (crm/api.py):

- consents go through crm.consent (logged with who and why; an opt-out is lifted only
  with a reason and the person's new consent);
- an address typed in finds its building or creates it, located from the national
  address reference when it is loaded (the online geocoder, when switched on, is asked
  after the change commits);
- one line in the contact's timeline names what changed.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from . import consent
from .models import Address, Contact, Household, Interaction, Tag
from .normalise import address_key


def home_for(line1, postal_code="", city="", label=""):
    """The household `label` ("3e gauche", or "") at this address; the building and the
    household are created when new."""
    key = address_key(line1, postal_code, city)
    address = Address.objects.filter(key=key).first()
    if address is None:
        address = Address(line1=line1.strip(), postal_code=postal_code.strip(), city=city.strip())
        _locate_offline(address, key)
        address.save()
        if address.point is None:
            _locate_online_later(address)
    household, _created = Household.objects.get_or_create(address=address, label=label.strip())
    return household


def _locate_offline(address, key):
    from crm.geocoding.models import AddressReference

    street, postal_code = key.split("|")[:2]
    found = AddressReference.objects.filter(match_key=f"{street}|{postal_code}").values_list("point", flat=True)
    if point := found.first():
        address.point, address.geocoded_by = point, "ban"


def _locate_online_later(address):
    from crm.geocoding import online

    if online.enabled():
        from crm.tasks import geocode_addresses

        transaction.on_commit(lambda: geocode_addresses.delay([address.pk]))


def verbose_names(fields):
    names = {f.name: str(f.verbose_name) for f in Contact._meta.get_fields() if hasattr(f, "verbose_name")}
    names["household"] = _("adresse")
    return [names.get(f, f) for f in fields]


@transaction.atomic
def save_by_hand(contact, changes, *, actor, consents=None, tags=None, home=..., reason="", new_consent=False,
                 source="staff"):  # fmt: skip
    """Create (`contact.pk` is None) or change `contact`. `changes`: model fields to set;
    `consents`: {consent field: True or False}, a field left out or None stays as it is;
    `tags`: the names it should carry (new ones are created), None leaves them; `home`:
    the household it lives in (None: no address), left out leaves it. Raises
    consent.ConsentRefused when an opt-out would be lifted without a reason and new
    consent. Returns the names of the fields changed."""
    created = contact.pk is None
    changed = [name for name, value in changes.items() if getattr(contact, name) != value]
    for name, value in changes.items():
        setattr(contact, name, value)
    if home is not ... and (home.pk if home else None) != contact.household_id:
        contact.household = home
        changed.append("household")
    if created:
        contact.source = contact.source or _("saisie manuelle")
    contact.save()
    if tags is not None:
        wanted = [Tag.objects.get_or_create(name=name)[0] for name in dict.fromkeys(tags)]
        if {t.pk for t in wanted} != set(contact.tags.values_list("pk", flat=True)):
            contact.tags.set(wanted)
            changed.append("tags")
    for field, value in (consents or {}).items():
        channel = field.removeprefix("consent_")
        if value is True:
            done = consent.grant(contact, channel, source=source, actor=actor, reason=reason, new_consent=new_consent)
        elif value is False:
            done = consent.withdraw(contact, channel, source=source, actor=actor, reason=reason)
        else:
            done = False
        if done:
            changed.append(field)
    if created:
        Interaction.objects.create(contact=contact, kind=Interaction.Kind.EDITED, actor=actor,
                                   summary=_("fiche créée à la main"), data={"fields": changed})  # fmt: skip
    elif changed:
        Interaction.objects.create(
            contact=contact, kind=Interaction.Kind.EDITED, actor=actor,
            summary=", ".join(verbose_names(changed))[:300], data={"fields": changed},
        )  # fmt: skip
    return changed


def add_note(contact, text, *, actor):
    """A line of the team's own in the contact's timeline ("wants a poster for her window")."""
    return Interaction.objects.create(contact=contact, kind=Interaction.Kind.NOTE, actor=actor, summary=text[:300])
