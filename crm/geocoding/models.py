from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class AddressReference(models.Model):
    """One address of the Base Adresse Nationale (adresses-NN.csv)."""

    ban_id = models.CharField(max_length=50, unique=True)
    numero = models.CharField(max_length=10)
    rep = models.CharField(max_length=10, blank=True)
    nom_voie = models.CharField(max_length=200)
    code_postal = models.CharField(max_length=5)
    code_insee = models.CharField(max_length=5)
    nom_commune = models.CharField(max_length=120)
    point = models.PointField(srid=4326)
    # "<numero> <rep> <street words>|<code postal>", as crm.normalise.address_key
    # writes the first two parts of a campaign address's key.
    match_key = models.CharField(max_length=300, db_index=True)

    class Meta:
        verbose_name = _("adresse de référence")
        verbose_name_plural = _("adresses de référence")

    def __str__(self):
        return f"{self.numero}{self.rep} {self.nom_voie}, {self.code_postal} {self.nom_commune}"
