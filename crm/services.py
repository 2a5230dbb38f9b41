"""Business logic for contacts. Views, serializers, commands and tasks call these."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .phones import InvalidPhone, PhoneNormaliser

_normalisers = {}


def normalise_phone(raw, region="FR"):
    """Return `raw` in E.164, or raise ValidationError naming the value."""
    normaliser = _normalisers.get(region) or _normalisers.setdefault(region, PhoneNormaliser(region))
    try:
        return normaliser.normalise(raw)
    except InvalidPhone:
        raise ValidationError(_("« %(raw)s » n'est pas un numéro de téléphone valide.") % {"raw": raw}) from None


def summarise_contacts():
    """Count the contact base of the current campaign and store the figures."""
    from django.db.models import Count, Q

    from .models import Contact, ContactSummary

    figures = Contact.objects.aggregate(
        contacts=Count("id"),
        with_email=Count("id", filter=~Q(email="")),
        with_phone=Count("id", filter=~Q(phone="")),
        geolocated=Count("id", filter=Q(household__address__point__isnull=False)),
    )
    return ContactSummary.objects.create(**figures)
