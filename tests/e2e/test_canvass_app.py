"""A volunteer works a turf on their phone, offline, in Chromium: reports wait on the
phone and reach the server once the connection is back."""

import datetime as dt
import re
from urllib.parse import urlparse

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.synthetic import scatter_buildings
from campaigns.accounts.models import Role
from crm.field.actions import default_result_codes
from crm.field.models import Action, Assignment, FieldReport, Zone
from crm.field.turfs import cut_zone
from tests.conftest import ROOT, host_of, make_user, wait_for
from tests.e2e.test_campaign_site import serious_accessibility_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def open_app(page, site, email):
    """Sign in on this phone and wait until the field app is ready."""
    page.goto(site + "/accounts/login/?next=/terrain/")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill("mot-de-passe-long-2026")
    page.get_by_role("button", name="Se connecter").last.click()
    page.wait_for_url(site + "/terrain/")
    page.wait_for_selector("main[data-ready='true']")
    return page


def door_round(campaign, volunteer, *, buildings, seed, **action_fields):
    """Today's door-to-door action on a zone of `buildings` buildings, one turf, the
    volunteer assigned to it for the next hours. Returns the turf."""
    with tenant_context(campaign):
        zone = Zone.objects.create(
            name="Centre", code="C", geometry=MultiPolygon(Polygon.from_bbox((1.90, 47.90, 1.91, 47.905)), srid=4326)
        )
        scatter_buildings(zone.pk, buildings, seed=seed)
        turf = cut_zone(zone, doors_per_turf=80)[0]
        today, now = timezone.localdate(), timezone.now()
        action = Action.objects.create(name="Porte-à-porte du samedi", kind="door", starts_on=today, ends_on=today,
                                       result_codes=default_result_codes("door"), **action_fields)  # fmt: skip
        Assignment.objects.create(action=action, turf=turf, volunteer=volunteer, starts_at=now - dt.timedelta(hours=1),
                                  ends_at=now + dt.timedelta(hours=4))  # fmt: skip
    return turf


def on_the_turf(browser, committed, asgi_server, email, *, seed):
    """A volunteer of a new campaign, on today's door round of 10 buildings: signed in on
    a phone, the turf downloaded and opened. Returns (campaign, browser context, page)."""
    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    volunteer = make_user(campaign, Role.VOLUNTEER, email, password="mot-de-passe-long-2026")
    door_round(campaign, volunteer, buildings=10, seed=seed)
    site = f"http://{host_of(campaign)}:{asgi_server}"
    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = open_app(context.new_page(), site, email)
    page.get_by_role("button", name="Télécharger le secteur").click()
    page.get_by_role("button", name="Ouvrir").click()
    return campaign, context, page


def test_volunteer_logs_three_doors_offline_and_they_sync_when_back_online(browser, committed, asgi_server):
    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    volunteer = make_user(campaign, Role.VOLUNTEER, "lea@exemple.fr", password="mot-de-passe-long-2026")
    support = {"id": "soutien", "label": "Soutien", "type": "scale", "updates": "support_level"}
    turf = door_round(campaign, volunteer, buildings=40, seed=2, survey=[support],
                      script="Bonjour, nous passons pour la liste Bourgneuf Demain.")  # fmt: skip
    site = f"http://{host_of(campaign)}:{asgi_server}"

    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    open_app(page, site, "lea@exemple.fr")
    page.get_by_role("button", name="Télécharger le secteur").click()
    page.get_by_text("Disponible hors ligne").wait_for()
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Ouvrir").click()
    page.get_by_role("heading", name="Porte-à-porte du samedi").wait_for()
    assert serious_accessibility_violations(page) == []

    assert page.evaluate("!!navigator.serviceWorker.controller")  # the app shell is kept on the phone
    context.set_offline(True)
    page.wait_for_selector("#sync-status[data-online='false']")
    for n, result in enumerate(["Ouvert / discuté", "Ouvert / discuté", "Absent"]):
        page.locator("button.door[data-done='false']").first.click()
        survey = page.get_by_role("group", name="Soutien")
        assert not survey.is_visible()  # asked once the door's result says someone was met
        page.get_by_label(result).check()
        if result != "Absent":
            page.get_by_label("4", exact=True).check()
        else:
            assert not survey.is_visible()
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_selector(f"#sync-status[data-pending='{n + 1}']")
    done = page.locator("button.door[data-done='true']")
    assert done.count() == 3
    # Each door says how it went; the one where nobody answered is marked to knock at again.
    assert [done.nth(i).inner_text().endswith(" — Ouvert / discuté") for i in range(3)].count(True) == 2
    assert page.locator("button.door.again").count() == 1
    assert page.locator("button.door.again").inner_text().startswith("↻") and "— Absent" in done.last.inner_text()
    assert "Hors ligne" in page.locator("#sync-status").inner_text()
    page.screenshot(path=str(ROOT / ".make" / "e2e-canvass-offline.png"))
    with tenant_context(campaign):
        assert FieldReport.objects.count() == 0  # nothing left the phone
    # Still offline, the app reopens from the phone (service worker + IndexedDB).
    page.reload()
    page.wait_for_selector("main[data-ready='true']")
    page.get_by_text("Disponible hors ligne").wait_for()
    assert page.locator("#sync-status").get_attribute("data-pending") == "3"

    context.set_offline(False)
    page.wait_for_selector("#sync-status[data-pending='0']", timeout=20_000)
    assert "Tout est envoyé" in page.locator("#sync-status").inner_text()
    assert page.locator("#today-count").inner_text() == "3"
    assert page.locator("#today-label").inner_text() == "comptes rendus"
    context.close()

    with tenant_context(campaign):
        reports = list(FieldReport.objects.all())
        assert len(reports) == 3
        assert {r.volunteer_id for r in reports} == {volunteer.pk}
        assert sorted(((r.result, r.answers) for r in reports), key=str) == [
            ("not_home", {}),
            ("talked", {"soutien": 4}),
            ("talked", {"soutien": 4}),
        ]
        assert all(r.turf_id == turf.pk and r.location is not None for r in reports)
    assert hosts == {urlparse(site).hostname}

    # On another phone (nothing stored on it), the day's count is what the campaign holds.
    other = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = open_app(other.new_page(), site, "lea@exemple.fr")
    page.wait_for_function("document.getElementById('today-count').textContent === '3'")
    other.close()


def test_volunteer_adds_someone_met_at_a_door_who_becomes_a_contact(browser, committed, asgi_server):
    from crm.field import review
    from crm.field.models import ReviewBatch
    from crm.models import Contact

    campaign, context, page = on_the_turf(browser, committed, asgi_server, "ali@exemple.fr", seed=3)
    page.locator("button.door").first.click()
    page.get_by_text("Quelqu'un qui n'est pas sur la liste").click()
    page.get_by_label("Prénom").fill("Léa")
    page.get_by_label("Nom", exact=True).fill("Martin")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_label("des SMS").check()
    assert serious_accessibility_violations(page) == []
    # Nobody opened: a new person cannot be added; the app says so and keeps the form.
    page.get_by_label("Absent").check()
    page.get_by_role("button", name="Enregistrer").click()
    assert "quelqu'un a été rencontré" in page.get_by_role("alert").filter(has_text="rencontré").inner_text()
    page.screenshot(path=str(ROOT / ".make" / "e2e-canvass-new-person.png"), full_page=True)
    page.get_by_label("Ouvert / discuté").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("button.door[data-done='true']")
    page.wait_for_selector("#sync-status[data-pending='0']", timeout=20_000)

    # At the next door, a mistyped number: the app catches a short one at once...
    page.locator("button.door[data-done='false']").first.click()
    page.get_by_text("Quelqu'un qui n'est pas sur la liste").click()
    page.get_by_label("Prénom").fill("Marc")
    page.get_by_label("Téléphone").fill("06 12")
    page.get_by_label("Ouvert / discuté").check()
    page.get_by_role("button", name="Enregistrer").click()
    assert "incomplet" in page.get_by_role("alert").filter(has_text="incomplet").inner_text()
    # ...the server refuses one no line can have, and the volunteer sees why.
    page.get_by_label("Téléphone").fill("07 00 00 00 00")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_function("document.querySelectorAll(\"button.door[data-done='true']\").length === 2")
    page.wait_for_selector("#sync-status[data-pending='0']", timeout=20_000)
    page.get_by_role("button", name="← Retour").first.click()
    refused = page.locator("#refused-items li")
    refused.first.wait_for()
    assert "Nouvelle personne — Téléphone : « 07 00 00 00 00 » n'est pas un numéro" in refused.first.inner_text()
    page.screenshot(path=str(ROOT / ".make" / "e2e-canvass-refused.png"), full_page=True)
    assert serious_accessibility_violations(page) == []
    refused.first.get_by_role("button", name="Renvoyer sans la nouvelle personne").click()
    page.wait_for_selector("#refused-box", state="hidden")
    page.wait_for_selector("#sync-status[data-pending='0']", timeout=20_000)
    assert "refusé" not in page.locator("#sync-status").inner_text()
    context.close()

    with tenant_context(campaign):
        marc = FieldReport.objects.get(notes__contains="Marc")
        assert marc.new_person == {} and "Personne rencontrée, non enregistrée : Marc, 07 00 00 00 00" in marc.notes
        report = FieldReport.objects.exclude(pk=marc.pk).get()
        assert report.result == "talked" and report.contact_id is None
        assert report.new_person == {"first_names": "Léa", "last_name": "Martin", "phone": "+33612345678",
                                     "email": "", "consents": ["sms"]}  # fmt: skip
        review.commit(ReviewBatch.objects.get())
        lea = Contact.objects.get(phone="+33612345678")
        assert (lea.first_names, lea.usage_name, lea.consent_sms) == ("Léa", "Martin", True)
        assert lea.household_id == report.household_id


def test_a_door_saved_while_the_last_one_is_still_being_sent_follows_it_at_once(browser, committed, asgi_server):
    campaign, context, page = on_the_turf(browser, committed, asgi_server, "sam@exemple.fr", seed=4)
    held = []

    def reports(url):
        return urlparse(url).path == "/api/reports/"

    # A slow connection: the first send hangs; the ones after it go through.
    page.route(reports, lambda route: route.continue_() if held else held.append(route))
    for n in (1, 2):
        page.locator("button.door[data-done='false']").first.click()
        page.get_by_label("Absent").check()
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_function(f"document.querySelectorAll(\"button.door[data-done='true']\").length === {n}")
        for _ in range(100):  # Playwright hands over routed requests while it waits
            if held:
                break
            page.wait_for_timeout(50)
    assert page.locator("#sync-status").get_attribute("data-pending") == "2"
    held[0].continue_()  # it carried the first door only
    # The second follows at once, well before the app's 30-second round (waiting in the
    # page lets Playwright hand the second request over).
    page.wait_for_selector("#sync-status[data-pending='0']", timeout=10_000)
    context.close()
    with tenant_context(campaign):
        assert FieldReport.objects.count() == 2


def test_volunteer_phones_the_next_person_and_draws_a_leafleting_route(browser, committed, asgi_server):
    from crm.field.calls import build_call_list
    from crm.models import Contact, Segment

    campaign = committed.campaign(name="Bourgneuf Demain").campaign
    volunteer = make_user(campaign, Role.VOLUNTEER, "sam@exemple.fr", password="mot-de-passe-long-2026")
    with tenant_context(campaign):
        Contact.objects.create(first_names="Odile", birth_name="Lefèvre", phone="+33612345678", source="phoning")
        Contact.objects.create(first_names="Nina", birth_name="Cœur", phone="+33612345679", source="phoning",
                               consent_phone=False)  # fmt: skip
        segment = Segment.objects.create(name="À appeler", filters={"source": "phoning"})
        today, now = timezone.localdate(), timezone.now()
        phoning = Action.objects.create(name="Phoning du soir", kind="phone", segment=segment, starts_on=today,
                                        ends_on=today, script="Bonsoir, ici la liste Bourgneuf Demain.",
                                        result_codes=default_result_codes("phone"))  # fmt: skip
        build_call_list(phoning)
        zone = Zone.objects.create(
            name="Marché", code="M", geometry=MultiPolygon(Polygon.from_bbox((1.90, 47.90, 1.91, 47.905)), srid=4326)
        )
        tractage = Action.objects.create(name="Tractage du marché", kind="leafleting", starts_on=today,
                                         ends_on=today, result_codes=default_result_codes("leafleting"))  # fmt: skip
        tractage.zones.add(zone)
        for action in (phoning, tractage):
            Assignment.objects.create(action=action, volunteer=volunteer, starts_at=now - dt.timedelta(hours=1),
                                      ends_at=now + dt.timedelta(hours=2))  # fmt: skip
    site = f"http://{host_of(campaign)}:{asgi_server}"
    context = browser.new_context(locale="fr-FR", bypass_csp=True, viewport=PHONE, is_mobile=True, has_touch=True)
    page = open_app(context.new_page(), site, "sam@exemple.fr")

    # When to go, in the phone's words and to the minute ("30 nov. 2026, 18:00 → ...").
    times = page.locator("li[data-assignment]", has_text="Phoning du soir").locator("p.muted").inner_text()
    assert re.fullmatch(r"\d{1,2} \S+ \d{4}, \d{2}:\d{2} → \d{1,2} \S+ \d{4}, \d{2}:\d{2}", times), times
    page.locator("li[data-assignment]", has_text="Phoning du soir").get_by_role("button", name="Ouvrir").click()
    page.get_by_role("button", name="Personne suivante").click()
    page.get_by_role("heading", name="Odile Lefèvre").wait_for()
    assert page.get_by_role("link", name="Appeler 06 12 34 56 78").get_attribute("href") == "tel:+33612345678"
    # A slow connection: the saved call is still on its way when "next" is tapped. The
    # app sends it first (asking for the next person hands back whoever the caller
    # holds without a report), so Odile is not offered again.
    held = []

    def reports(url):
        return urlparse(url).path == "/api/reports/"

    page.route(reports, lambda route: held.append(route))
    page.get_by_label("Discuté").check()
    page.get_by_role("button", name="Enregistrer").click()
    for _ in range(200):  # Playwright hands over routed requests while it waits
        if held:
            break
        page.wait_for_timeout(50)
    page.get_by_role("button", name="Personne suivante").click()
    page.wait_for_timeout(1000)
    assert page.get_by_role("heading", name="Odile Lefèvre").count() == 0
    held[0].continue_()
    page.unroute(reports)
    page.get_by_text("Liste terminée").wait_for()  # Nina refused phone calls: never offered
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Retour").click()

    page.locator("li[data-assignment]", has_text="Tractage du marché").get_by_role("button", name="Ouvrir").click()
    box = page.locator("#route-map").bounding_box()
    for fx, fy in ((0.2, 0.5), (0.5, 0.5), (0.8, 0.6)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    assert page.locator("#route-count").inner_text() == "3"
    page.get_by_label("Tracts déposés").fill("120")
    page.get_by_label("Tracts distribués").check()
    page.locator("#route").get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("#sync-status[data-pending='0']")
    # A block whose letterboxes were all done: drawn as an area.
    page.get_by_label("Tracer").select_option("area")
    box = page.locator("#route-map").bounding_box()
    for fx, fy in ((0.3, 0.3), (0.6, 0.3), (0.6, 0.6), (0.3, 0.6)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.get_by_label("Tracts déposés").fill("40")
    page.get_by_label("Tracts distribués").check()
    page.locator("#route").get_by_role("button", name="Enregistrer").click()

    def both_stored():
        with tenant_context(campaign):
            return FieldReport.objects.filter(action=tractage).count() == 2

    wait_for(both_stored, timeout=15, what="the drawn block to reach the server")
    assert serious_accessibility_violations(page) == []
    context.close()

    with tenant_context(campaign):
        call = FieldReport.objects.get(action=phoning)
        assert call.contact.first_names == "Odile" and call.result == "talked"
        route, block = FieldReport.objects.filter(action=tractage).order_by("id")
        assert route.leaflets == 120 and route.covered.geom_type == "LineString" and len(route.covered) == 3
        assert zone.geometry.contains(route.covered.centroid)
        assert block.leaflets == 40 and block.covered.geom_type == "Polygon" and block.covered.valid
