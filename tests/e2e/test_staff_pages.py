"""The team's action and message pages in Chromium, checked with axe-core."""

import uuid

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import Role
from crm.field.actions import default_result_codes
from crm.field.models import Action, FieldReport, Zone
from crm.field.turfs import cut_zone
from crm.messaging.models import Message
from crm.models import Contact, Segment, Tag
from tests.conftest import host_of, make_user
from tests.e2e.test_campaign_site import serious_accessibility_violations
from tests.e2e.test_idea_box import PASSWORD, sign_in

pytestmark = pytest.mark.browser

FRENCH_DAYS = ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."]
FRENCH_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def test_action_and_message_pages_are_accessible(browser, committed, asgi_server):
    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password=PASSWORD)
    with tenant_context(campaign):
        zone = Zone.objects.create(
            name="Centre", code="C", geometry=MultiPolygon(Polygon.from_bbox((1.90, 47.90, 1.91, 47.905)), srid=4326)
        )
        scatter_buildings(zone.pk, 60, seed=3)
        cut_zone(zone, doors_per_turf=30)
        today = timezone.localdate()
        action = Action.objects.create(name="Porte-à-porte", kind="door", starts_on=today, ends_on=today,
                                       objective=100, result_codes=default_result_codes("door"))  # fmt: skip
        action.zones.add(zone)
        FieldReport.objects.create(uuid=uuid.uuid4(), action=action, result="talked", reached=True,
                                   done_at=timezone.now())  # fmt: skip
        tag = Tag.objects.create(name="SMS")
        Contact.objects.create(first_names="Zoé", phone="+33612345678", consent_sms=True).tags.add(tag)
        segment = Segment.objects.create(name="SMS", filters={"tags": ["SMS"]})
        message = Message.objects.create(channel="sms", name="Rappel", body="{{ first_name }}, réunion à 19 h",
                                         segment=segment)  # fmt: skip
    site = f"http://{host_of(campaign)}:{asgi_server}"
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = sign_in(context, site, "ines@exemple.fr", "/equipe/actions/")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("link", name="Porte-à-porte").click()
    page.get_by_role("heading", name="Avancement").wait_for()
    assert serious_accessibility_violations(page) == []
    page.goto(f"{site}/equipe/tableau-de-bord/")
    page.wait_for_selector("body[data-charts-drawn='true']")
    # Doors per day, results, actions, and participation on the public site per day.
    charts = page.locator("canvas[data-chart]")
    assert [charts.nth(i).get_attribute("data-chart") for i in range(charts.count())] == [
        "per_day",
        "results",
        "actions",
        "participation",
    ]
    # Days read as words on the axis and in the table ("lun. 30 nov."), ISO only in the CSV.
    labels = page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=per_day]')).data.labels")
    expected = f"{FRENCH_DAYS[today.weekday()]} {today.day} {FRENCH_MONTHS[today.month - 1]}"
    assert labels == [expected]
    assert page.locator(f"table[data-table=per_day] time[datetime='{today.isoformat()}']").count() == 1
    assert serious_accessibility_violations(page) == []
    page.goto(f"{site}/messages/{message.pk}/")
    assert "Zoé, réunion à 19 h" in page.locator(".sms-preview").inner_text()
    assert "GSM-7" in page.content()
    assert serious_accessibility_violations(page) == []
    context.close()


def test_duplicates_page_marks_two_people_and_merges_a_pair_in_the_browser(browser, committed, asgi_server):
    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password=PASSWORD)
    with tenant_context(campaign):  # a couple sharing an e-mail, and her double
        anne = Contact.objects.create(birth_name="Roux", first_names="Anne", email="famille.roux@x.fr")
        paul = Contact.objects.create(birth_name="Roux", first_names="Paul", email="famille.roux@x.fr")
        Contact.objects.create(birth_name="Roux", first_names="Anne", phone="+33612345678",
                               other_emails=["famille.roux@x.fr"])  # fmt: skip
    site = f"http://{host_of(campaign)}:{asgi_server}"
    page = sign_in(browser.new_context(locale="fr-FR", bypass_csp=True), site, "ines@exemple.fr", "/equipe/doublons/")
    assert serious_accessibility_violations(page) == []
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    rows.filter(has_text="Paul").first.get_by_role("button", name="Deux personnes différentes").click()
    page.get_by_text("restent deux fiches distinctes").wait_for()
    assert rows.count() == 2  # Anne-Paul gone; Anne-Anne and Paul-Anne stay
    rows.filter(has_text="aussi : famille.roux@x.fr", has_not_text="Paul").get_by_role(
        "button", name="Fusionner"
    ).click()
    page.get_by_text("ne font plus qu'un").wait_for()
    with tenant_context(campaign):
        assert Contact.objects.filter(pk__in=[anne.pk, paul.pk]).count() == 2
        assert Contact.objects.count() == 2


def test_segment_form_counts_people_as_it_is_filled_in(browser, committed, asgi_server):
    from django.contrib.gis.geos import Point

    from crm.models import Address, Household

    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password=PASSWORD)
    with tenant_context(campaign):
        outline = MultiPolygon(Polygon.from_bbox((1.90, 47.91, 1.92, 47.93)), srid=4326)
        Zone.objects.create(name="Nord", code="N", geometry=outline)
        for n, (y, sms) in enumerate([(47.92, True), (47.92, True), (47.92, False), (47.80, True)]):
            address = Address.objects.create(line1=f"{n} rue Haute", city="Orléans", key=str(n),
                                             point=Point(1.91, y, srid=4326))  # fmt: skip
            Contact.objects.create(birth_name=f"Nom{n}", household=Household.objects.create(address=address),
                                   consent_sms=sms)  # fmt: skip
    site = f"http://{host_of(campaign)}:{asgi_server}"
    page = sign_in(browser.new_context(locale="fr-FR", bypass_csp=True), site, "ines@exemple.fr", "/equipe/segments/")
    assert serious_accessibility_violations(page) == []
    count = page.locator("#segment-count")
    page.get_by_label("Habitent dans l'une de ces zones").select_option(label="Nord (N)")
    page.wait_for_function("document.getElementById('segment-count').innerText.startsWith('3 contacts')")
    page.get_by_label("SMS").check()
    page.wait_for_function("document.getElementById('segment-count').innerText.startsWith('2 contacts')")
    page.get_by_label("Soutien minimum (1–5)").fill("9")
    page.wait_for_function("document.getElementById('segment-count').innerText.includes('Soutien minimum')")
    assert "inférieure ou égale à 5" in count.inner_text()
    page.get_by_label("Soutien minimum (1–5)").fill("")
    page.get_by_label("Nom du segment", exact=True).fill("Nord SMS")
    page.get_by_role("button", name="Enregistrer").click()
    row = page.locator("tbody tr", has_text="Nord SMS")
    assert row.locator("td").nth(1).inner_text() == "2"
    assert row.locator("td").nth(2).inner_text() == "dans la zone « Nord » · accord SMS"
    assert serious_accessibility_violations(page) == []


def test_an_organizer_types_in_a_contact_corrects_it_and_adds_a_note(browser, committed, asgi_server):
    campaign = committed.campaign(name="Saran à venir").campaign
    make_user(campaign, Role.ORGANIZER, "ines@exemple.fr", password=PASSWORD)
    with tenant_context(campaign):
        known = Contact.objects.create(birth_name="Girard", first_names="Luc", phone="+33612345678")
    site = f"http://{host_of(campaign)}:{asgi_server}"
    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport={"width": 390, "height": 844})
    page = sign_in(context, site, "ines@exemple.fr", "/equipe/contacts/")
    page.get_by_role("link", name="Nouveau contact").click()
    page.get_by_label("Prénoms").fill("Anaïs")
    page.get_by_label("Nom de naissance").fill("Lefèvre")
    page.get_by_role("textbox", name="Téléphone").fill("06 12 34 56 78")
    page.get_by_label("Adresse", exact=True).fill("12 rue de l'Église")
    page.get_by_label("Code postal").fill("45770")
    page.get_by_label("Ville").fill("Saran")
    page.get_by_label("Étiquettes").fill("bénévole, affiches")
    page.get_by_label("Accord SMS").select_option(label="oui")
    page.get_by_role("button", name="Créer le contact").click()
    # The same phone as a known person: the page says who, with a link, and keeps what was typed.
    assert page.get_by_role("link", name="Luc Girard").get_attribute("href") == f"/equipe/contacts/{known.pk}/"
    assert page.get_by_label("Prénoms").input_value() == "Anaïs"
    assert serious_accessibility_violations(page) == []
    page.get_by_label("C'est une autre personne").check()
    page.get_by_role("button", name="Créer le contact").click()
    page.get_by_role("heading", name="Anaïs Lefèvre").wait_for()
    assert page.get_by_text("Contact créé.").is_visible()
    assert page.get_by_text("12 rue de l'Église, 45770 Saran").is_visible()

    page.get_by_role("link", name="Modifier", exact=True).click()
    assert page.get_by_label("Étiquettes").input_value() == "affiches, bénévole"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.get_by_label("Accord SMS").select_option(label="non")
    page.get_by_label("Motif d'un changement d'accord").fill("ne veut plus de SMS")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Modifications enregistrées.").is_visible()
    assert page.get_by_text("Modifié : accord SMS").is_visible()
    assert page.get_by_text("Accord SMS : retiré (staff)").is_visible()

    page.get_by_label("Ajouter une note").fill("Veut une affiche pour sa vitrine")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    assert page.get_by_text("Note : Veut une affiche pour sa vitrine").is_visible()
    assert serious_accessibility_violations(page) == []

    # On a phone, wide tables scroll inside the page; the page itself never scrolls sideways.
    for path in ["/equipe/contacts/", "/equipe/segments/", "/equipe/imports/", "/equipe/doublons/",
                 "/equipe/actions/", "/equipe/revue/", "/messages/", "/equipe/tableau-de-bord/",
                 f"/equipe/contacts/{known.pk}/"]:  # fmt: skip
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(site + "/equipe/revue/")  # an empty queue: a table with nothing focusable in it
    table = page.locator(".scroll-x").first
    assert table.evaluate("el => el.scrollWidth > el.clientWidth")  # it does scroll, and is reachable by keyboard
    assert serious_accessibility_violations(page) == []
    context.close()


def test_a_campaign_admin_changes_the_map_background_in_the_browser(browser, committed, asgi_server):
    from livemap.models import MapSettings

    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    make_user(campaign, Role.ADMIN, "alix@exemple.fr", password=PASSWORD)
    site = f"http://{host_of(campaign)}:{asgi_server}"
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    page = sign_in(context, site, "alix@exemple.fr", "/equipe/carte/")
    page.get_by_role("link", name="Fond de carte").click()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Adresse des tuiles").fill("https://tuiles.exemple.fr/osm/{z}/{x}.png")
    page.get_by_role("button", name="Enregistrer").click()
    assert "Il manque {y}" in page.locator(".errors").first.inner_text()
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Adresse des tuiles").fill("https://tuiles.exemple.fr/osm/{z}/{x}/{y}.png")
    page.get_by_label("Attribution").fill("© Ville de Bourgneuf")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{site}/equipe/carte/")
    assert "Fond de carte enregistré" in page.content()
    context.close()
    with tenant_context(campaign):
        assert MapSettings.current().tile_url == "https://tuiles.exemple.fr/osm/{z}/{x}/{y}.png"
