"""The campaign's people and where they live."""

from django.contrib.gis.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Address(models.Model):
    """A building: one point on the map, possibly many households."""

    line1 = models.CharField(_("adresse"), max_length=200)
    line2 = models.CharField(_("complément"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    point = models.PointField(_("position"), srid=4326, null=True, blank=True)
    polling_station_code = models.CharField(_("bureau de vote"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("adresse")
        verbose_name_plural = _("adresses")
        indexes = [models.Index(fields=["postal_code", "city"])]

    def __str__(self):
        return ", ".join(p for p in (self.line1, f"{self.postal_code} {self.city}".strip()) if p)


class Household(models.Model):
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="households")
    label = models.CharField(_("logement"), max_length=80, blank=True, help_text=_("Étage, porte, boîte…"))

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")

    def __str__(self):
        return f"{self.address} {self.label}".strip()


class Contact(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Femme")
        MALE = "M", _("Homme")
        UNKNOWN = "", _("Non renseigné")

    birth_name = models.CharField(_("nom de naissance"), max_length=120, blank=True)
    usage_name = models.CharField(_("nom d'usage"), max_length=120, blank=True)
    first_names = models.CharField(_("prénoms"), max_length=200, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, help_text=_("Format E.164"))
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    source = models.CharField(_("origine"), max_length=120, blank=True)
    created = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["usage_name", "birth_name", "first_names"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=r"^\+[1-9][0-9]{6,14}$"),
                name="crm_contact_phone_e164",
            ),
        ]
        indexes = [models.Index(Lower("email"), name="crm_contact_email_ci")]

    def __str__(self):
        return f"{self.first_names} {self.last_name}".strip() or self.email or f"#{self.pk}"

    @property
    def last_name(self):
        return self.usage_name or self.birth_name


class ContactSummary(models.Model):
    """Figures about the contact base, computed in the background for dashboards."""

    computed_at = models.DateTimeField(auto_now_add=True)
    contacts = models.PositiveIntegerField()
    with_email = models.PositiveIntegerField()
    with_phone = models.PositiveIntegerField()
    geolocated = models.PositiveIntegerField()

    class Meta:
        get_latest_by = "computed_at"
        verbose_name = _("synthèse des contacts")
        verbose_name_plural = _("synthèses des contacts")
