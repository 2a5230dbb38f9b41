"""Offline geocoding against a BAN-format address file."""

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from crm.geocoding.models import AddressReference
from crm.models import Contact
from tests.crm.test_import import do_import, write_csv

BAN_HEADER = (
    "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
    "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
    "source_position;source_nom_voie;certification_commune;cad_parcelles"
)
BAN_ROWS = [
    "45234_1234_00012;45234_1234;12;;Rue de l'Église;45000;45234;Orléans;;;619000;6755000;1.9075;47.9021;"
    "entrée;;;ORLEANS;RUE DE L EGLISE;commune;commune;1;",
    "45234_5678_00004_bis;45234_5678;4;bis;Avenue Jean Jaurès;45000;45234;Orléans;;;619100;6755100;1.9010;"
    "47.8950;entrée;;;ORLEANS;AVENUE JEAN JAURES;commune;commune;1;",
    "45234_5678_00099;45234_5678;99;;Avenue Jean Jaurès;45000;45234;Orléans;;;;;pas-un-nombre;;",
]


@pytest.fixture
def ban_file(tmp_path):
    path = tmp_path / "adresses-45.csv"
    path.write_text("\n".join([BAN_HEADER, *BAN_ROWS]) + "\n", encoding="utf-8")
    return path


def test_load_addresses_is_idempotent_and_skips_broken_rows(db, ban_file, capsys):
    call_command("load_addresses", str(ban_file))
    assert capsys.readouterr().out.strip() == "loaded=2 skipped=1"
    call_command("load_addresses", str(ban_file))
    assert AddressReference.objects.count() == 2


def test_a_file_that_is_not_a_ban_file_is_refused(db, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("nom;prenom\nDupont;Jean\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("load_addresses", str(path))
    assert AddressReference.objects.count() == 0


def test_import_locates_addresses_without_coordinates_from_the_reference(shared_campaign, db, ban_file, tmp_path):
    call_command("load_addresses", str(ban_file))
    header = ["Nom", "Prénom", "Adresse", "Code postal", "Ville"]
    rows = [
        ["Lefèvre", "Élodie", "12, rue de l'eglise", "45000", "ORLEANS"],
        ["Garçon", "Loïc", "4 bis av. Jean-Jaurès", "45000", "Orléans"],
        ["Nulle", "Part", "1 chemin inconnu", "45000", "Orléans"],
    ]
    job = do_import(shared_campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert job.located_count == 2
    with tenant_context(shared_campaign):
        address = Contact.objects.get(first_names="Loïc").household.address
        assert address.geocoded_by == "ban"
        assert address.point.coords == pytest.approx((1.9010, 47.8950))
        assert Contact.objects.get(first_names="Part").household.address.point is None
