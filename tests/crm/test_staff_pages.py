"""The campaign team's contact pages, through the Django test client."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import AuditEntry, Role
from crm.models import NAME_ORDER, Contact, DistinctPair, Segment, Tag
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def client_as(campaign, role):
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(make_user(campaign, role))
    return client


@pytest.fixture
def people(campaign):
    with tenant_context(campaign):
        a = Contact.objects.create(birth_name="Lefèvre", first_names="Hélène", email="helene@x.fr", support_level=4)
        b = Contact.objects.create(birth_name="LEFEVRE", first_names="Helene", email="helene@x.fr")
        a.tags.add(Tag.objects.create(name="bénévole"))
    return a, b


@pytest.mark.parametrize("path", ["/equipe/contacts/", "/equipe/imports/", "/equipe/doublons/", "/equipe/segments/"])
def test_volunteers_get_no_staff_page(campaign, people, path):
    response = client_as(campaign, Role.VOLUNTEER).get(path)
    assert response.status_code == 403
    assert "Lefèvre" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(campaign):
    response = Client(HTTP_HOST=host_of(campaign)).get("/equipe/contacts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_contact_list_searches_without_accents_and_links_to_the_contact_page(campaign, people):
    client = client_as(campaign, Role.ORGANIZER)
    html = client.get("/equipe/contacts/", {"q": "lefevre", "tag": "bénévole"}).content.decode()
    assert "1 contact" in html and f"/equipe/contacts/{people[0].pk}/" in html
    page = client.get(f"/equipe/contacts/{people[0].pk}/").content.decode()
    assert "Hélène" in page and "Niveau de soutien" in page and "bénévole" in page


def test_phone_numbers_read_the_way_the_campaign_writes_them(campaign):
    """Stored as E.164, shown as people of the campaign's country write them, and
    dialled as stored."""
    with tenant_context(campaign):
        person = Contact.objects.create(birth_name="Moreau", first_names="Inès", phone="+33612345678",
                                        other_phones=["+32470123456"])  # fmt: skip
    client = client_as(campaign, Role.ORGANIZER)
    listed = client.get("/equipe/contacts/").content.decode()
    assert '<td class="nowrap">06 12 34 56 78</td>' in listed  # one line, not two
    page = client.get(f"/equipe/contacts/{person.pk}/").content.decode()
    assert '<a href="tel:+33612345678">06 12 34 56 78</a>' in page
    assert '<a href="tel:+32470123456">+32 470 12 34 56</a>' in page


def test_contact_list_is_in_french_name_order_served_by_an_index(campaign):
    with tenant_context(campaign):
        for birth, usage, first in [("ZOLA", "", "Émile"), ("MARTIN", "Dupont", "Marie"), ("ÉTIENNE", "", "Luc"),
                                    ("de Gaulle", "", "Anne"), ("ABBA", "", "Zoé"), ("abba", "", "Yves")]:  # fmt: skip
            Contact.objects.create(birth_name=birth, usage_name=usage, first_names=first)
    client = client_as(campaign, Role.ORGANIZER)
    listed = [(c.last_name, c.first_names) for c in client.get("/equipe/contacts/").context["page"]]
    # The name each uses (Marie: her usage name), accents and case set aside, then first names.
    assert listed == [("abba", "Yves"), ("ABBA", "Zoé"), ("de Gaulle", "Anne"), ("Dupont", "Marie"),
                      ("ÉTIENNE", "Luc"), ("ZOLA", "Émile")]  # fmt: skip
    # On a big base the first page must not sort every contact: the order is an index's.
    with tenant_context(campaign), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Contact.objects.order_by(*NAME_ORDER)[:50].explain()
    assert "crm_contact_name_order" in plan and "Sort" not in plan


def test_admin_erases_a_contact_from_its_page(campaign, people):
    client = client_as(campaign, Role.ADMIN)
    assert client_as(campaign, Role.ORGANIZER).post(f"/equipe/contacts/{people[0].pk}/effacer/").status_code == 403
    response = client.post(f"/equipe/contacts/{people[0].pk}/effacer/", {"reason": "demande"}, follow=True)
    assert "Contact effacé" in response.content.decode()
    with tenant_context(campaign):
        assert Contact.objects.get(pk=people[0].pk).email == ""


def test_duplicates_page_lists_the_pair_and_merges_it(campaign, people):
    client = client_as(campaign, Role.ORGANIZER)
    html = client.get("/equipe/doublons/").content.decode()
    assert "même e-mail" in html
    client.post("/equipe/doublons/fusionner/", {"keep": people[0].pk, "other": people[1].pk})
    with tenant_context(campaign):
        assert not Contact.objects.filter(pk=people[1].pk).exists()


def test_two_people_sharing_an_email_are_marked_distinct_and_leave_the_queue(campaign, people):
    with tenant_context(campaign):  # a couple sharing one address, and a real double of her
        third = Contact.objects.create(birth_name="Lefèvre", first_names="Marc", email="helene@x.fr")
    client = client_as(campaign, Role.ORGANIZER)
    answer = client.post("/equipe/doublons/distincts/", {"keep": people[0].pk, "other": third.pk}, follow=True)
    html = answer.content.decode()
    assert "restent deux fiches distinctes" in html
    listed = {(keep.pk, other.pk) for _pair, keep, other in answer.context["rows"]}
    assert listed == {(people[0].pk, people[1].pk), (people[1].pk, third.pk)}  # she and he stay apart
    with tenant_context(campaign):
        assert AuditEntry.objects.filter(action="contacts.distinct", target_id=str(people[0].pk)).exists()
    # Asked again, or the wrong way round: still one decision, nothing else changes.
    client.post("/equipe/doublons/distincts/", {"keep": third.pk, "other": people[0].pk})
    for bad in ({"keep": people[0].pk, "other": people[0].pk}, {"keep": "x", "other": third.pk}):
        assert client.post("/equipe/doublons/distincts/", bad).status_code == 404
    with tenant_context(campaign):
        assert DistinctPair.objects.count() == 1
        assert Contact.objects.count() == 3


def test_a_pair_found_through_another_email_shows_it(campaign):
    with tenant_context(campaign):
        Contact.objects.create(birth_name="Roux", email="anne@x.fr", other_emails=["anne.roux@travail.fr"],
                               other_phones=["+33781000001"])  # fmt: skip
        Contact.objects.create(birth_name="Roux", first_names="A.", email="anne.roux@travail.fr")
    html = client_as(campaign, Role.ORGANIZER).get("/equipe/doublons/").content.decode()
    assert "même e-mail" in html
    assert "aussi : anne.roux@travail.fr, 07 81 00 00 01" in html  # why they are offered, in view


def test_segment_is_created_from_the_form_and_exported(campaign, people):
    client = client_as(campaign, Role.ORGANIZER)
    client.post("/equipe/segments/", {"name": "Bénévoles", "tags": ["bénévole"]})
    with tenant_context(campaign):
        segment = Segment.objects.get(name="Bénévoles")
    html = client.get("/equipe/segments/").content.decode()
    assert "Bénévoles" in html
    export = client.get(f"/equipe/segments/{segment.pk}/export/", {"file_format": "csv"})
    assert "Lefèvre" in b"".join(export.streaming_content).decode("utf-8-sig")


@pytest.fixture
def town(campaign):
    """Two neighbourhoods; people with what a segment picks them by."""
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon
    from django.utils import timezone

    from crm.field.models import Zone
    from crm.models import Address, Household, Interaction

    with tenant_context(campaign):

        def zone(name, south, north):
            outline = MultiPolygon(Polygon.from_bbox((1.90, south, 1.92, north)), srid=4326)
            return Zone.objects.create(name=name, code=name[0], geometry=outline)

        def person(name, y, **fields):
            address = Address.objects.create(line1=f"1 rue {name}", city="Orléans", key=name,
                                             point=Point(1.91, y, srid=4326))  # fmt: skip
            household = Household.objects.create(address=address)
            shared = {"source": "liste électorale 2026", "custom_fields": {"Quartier": "Gare"}, "support_level": 4,
                      "consent_sms": True}  # fmt: skip
            person = Contact.objects.create(birth_name=name, household=household, **(shared | fields))
            person.tags.add(volunteer)
            return person

        north = zone("Nord", 47.91, 47.93)
        zone("Sud", 47.88, 47.90)
        volunteer = Tag.objects.create(name="bénévole")
        wanted = person("Garnier", 47.92, phone="+33612345678")
        Interaction.objects.create(contact=wanted, kind=Interaction.Kind.CONTRIBUTION,
                                   data={"module": "ideas", "action": "proposal"})  # fmt: skip
        person("Perrin", 47.89, phone="+33612345679")  # in the south
        person("Roussel", 47.92, phone="+33612345670", consent_sms=False)
        person("Blanc", 47.92, phone="+33612345671", last_contacted_at=timezone.now())
        person("Morel", 47.92)  # no phone
        person("Faure", 47.92, phone="+33612345672", support_level=2)
    return {"north": north, "wanted": wanted}


def test_a_segment_drawn_up_in_the_form_picks_people_by_zone_consent_and_the_rest(campaign, town):
    client = client_as(campaign, Role.ORGANIZER)
    form = {
        "name": "Nord, SMS, militants à relancer", "zones": [town["north"].pk], "tags": ["bénévole"],
        "tags_mode": "all", "consent": ["sms"], "has_phone": "on", "support_min": "3", "support_max": "5",
        "not_contacted_since": "2026-11-01", "source": "électorale", "custom_field": "Quartier",
        "custom_value": "Gare", "participation": "ideas:proposal",
    }  # fmt: skip
    # The form says how many people it picks as it is filled in, before it is saved.
    counted = client.get("/equipe/segments/compter/", form).content.decode()
    assert "<strong>1</strong> contact correspond à ces critères." in counted
    assert client.post("/equipe/segments/", form).status_code == 302
    with tenant_context(campaign):
        segment = Segment.objects.get(name="Nord, SMS, militants à relancer")
    assert segment.filters == {
        "zones": [town["north"].pk], "tags": ["bénévole"], "consent": {"sms": True}, "has_phone": True,
        "support_min": 3, "support_max": 5, "not_contacted_since": "2026-11-01", "source": "électorale",
        "custom": {"Quartier": "Gare"}, "participation": {"module": "ideas", "action": "proposal"},
    }  # fmt: skip
    listed = client.get("/equipe/contacts/", {"segment": segment.pk}).context["page"]
    assert [c.pk for c in listed] == [town["wanted"].pk]
    # The list of segments says what each one picks, in words.
    page = client.get("/equipe/segments/").content.decode()
    for words in ("dans la zone « Nord »", "étiquette « bénévole »", "accord SMS", "avec téléphone",
                  "soutien de 3 à 5", "pas contactés depuis le 01/11/2026", "origine contient « électorale »",
                  "« Quartier » vaut « Gare »", "a proposé une idée"):  # fmt: skip
        assert words in page, words


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"support_min": "9"}, "Soutien minimum (1–5) : "),
        ({"support_min": "4", "support_max": "2"}, "Le maximum est plus petit que le minimum."),
        ({"custom_field": "Quartier"}, "Donnez le champ libre et sa valeur"),
        ({"zones": ["999999"]}, "Habitent dans l&#x27;une de ces zones : "),
        ({"not_contacted_since": "31/02/2026"}, "Pas contactés depuis le : "),
    ],
)
def test_a_segment_form_that_cannot_be_counted_says_what_is_wrong(campaign, town, form, message):
    client = client_as(campaign, Role.ORGANIZER)
    response = client.get("/equipe/segments/compter/", form)
    assert response.status_code == 200 and message in response.content.decode()
    saved = client.post("/equipe/segments/", {"name": "Mauvais", **form})
    assert saved.status_code == 200  # the form again, with the error
    with tenant_context(campaign):
        assert not Segment.objects.filter(name="Mauvais").exists()


def test_a_segment_is_deleted_from_its_page_unless_a_message_uses_it(campaign, people):
    from crm.messaging.models import Message

    client = client_as(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        spare = Segment.objects.create(name="Essai", filters={"tags": ["bénévole"]})
        used = Segment.objects.create(name="Relance SMS", filters={"consent": {"sms": True}})
        Message.objects.create(channel="sms", name="Rappel du samedi", body="À samedi !", segment=used)
    page = client.post(f"/equipe/segments/{spare.pk}/supprimer/", follow=True).content.decode()
    assert "Segment « Essai » supprimé." in page
    page = client.post(f"/equipe/segments/{used.pk}/supprimer/", follow=True).content.decode()
    assert "Ce segment est encore utilisé (« Rappel du samedi »)" in page
    with tenant_context(campaign):
        assert list(Segment.objects.values_list("name", flat=True)) == ["Relance SMS"]
    assert client.get(f"/equipe/segments/{used.pk}/supprimer/").status_code == 405


def test_the_segment_form_shows_every_criterion_under_a_heading(campaign):
    from crm.forms import SegmentForm

    with tenant_context(campaign):
        form = SegmentForm()
        grouped = [field.name for _heading, fields in form.groups() for field in fields]
        assert sorted(grouped) == sorted(set(form.fields) - {"name"}) and len(grouped) == len(set(grouped))
    page = client_as(campaign, Role.ORGANIZER).get("/equipe/segments/").content.decode()
    for heading in ("Où", "Qui", "Comment les joindre", "Déjà contactés ?"):
        assert f"<legend>{heading}</legend>" in page
