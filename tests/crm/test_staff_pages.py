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
    assert "<td>06 12 34 56 78</td>" in listed
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
