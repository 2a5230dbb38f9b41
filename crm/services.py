"""Business logic for contacts. Views, serializers, commands and tasks call these."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone(raw, region="FR"):
    """Return `raw` in E.164, or raise ValidationError naming the value."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(_("« %(raw)s » n'est pas un numéro de téléphone valide.") % {"raw": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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
