"""An organizer imports a spreadsheet export in Chromium: upload, check the columns,
watch the progress bar, read the result. uvicorn, a Celery worker and Redis are real."""

import pytest

from campaigns.accounts.models import Role
from tests.conftest import host_of, make_user
from tests.crm.test_import import PEOPLE, write_csv
from tests.e2e.test_campaign_site import serious_accessibility_violations

pytestmark = pytest.mark.browser


def test_import_wizard_end_to_end(browser, committed, asgi_server, celery_worker_process, tmp_path):
    campaign = committed.campaign(name="Orléans en commun").campaign
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password="mot-de-passe-long-2026")
    bad_row = ["", "", "", "", "31/02/1990", "", "", "", "", "", "", ""]
    path = write_csv(tmp_path / "liste électorale.csv", [*PEOPLE, bad_row], encoding="cp1252")
    site = f"http://{host_of(campaign)}:{asgi_server}"

    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.goto(site + "/accounts/login/?next=/equipe/imports/")
    page.get_by_label("Adresse e-mail").fill("ines@exemple.fr")
    page.get_by_label("Mot de passe").fill("mot-de-passe-long-2026")
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_url(site + "/equipe/imports/")

    page.get_by_label("Fichier CSV ou XLSX").set_input_files(str(path))
    page.get_by_label("Origine de ces contacts").fill("Liste électorale 2026")
    page.get_by_role("button", name="Envoyer et prévisualiser").click()
    detected = "Fichier CSV en Windows-1252 (Excel sous Windows), séparateur : point-virgule."
    assert page.get_by_text(detected).is_visible()
    assert page.get_by_label("Prénoms").input_value() == "first_names"
    assert page.get_by_text("Élodie Françoise").first.is_visible()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Enregistrer cette correspondance sous le nom").fill("Liste électorale")
    page.get_by_role("button", name="Lancer l'import").click()

    page.locator("#created").wait_for(timeout=60_000)
    assert page.locator("progress").get_attribute("value") == "100"
    assert page.locator("#created").inner_text() == "3"
    assert page.locator("#rejected").inner_text() == "1"
    assert page.get_by_role("link", name="Télécharger les lignes rejetées").is_visible()

    page.get_by_role("link", name="Contacts").first.click()
    page.get_by_label("Recherche").fill("elodie")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_role("link", name="LEFÈVRE Élodie Françoise").click()
    assert page.get_by_text("Importé depuis « liste électorale.csv »").is_visible()
    assert serious_accessibility_violations(page) == []
    context.close()
