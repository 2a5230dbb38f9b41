"""Mutual aid: approximate places only, private relay that never reveals an e-mail
(page, API/JSON, mail headers), closing, reporting, and the maps."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from participation.aid import services as aid
from participation.aid.models import Conversation, HelpPost
from participation.models import CitizenProfile, Flag
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def citizen(campaign, email, name=""):
    user = make_user(campaign, Role.CITIZEN, email)
    with tenant_context(campaign):
        user.date_joined = timezone.now() - timezone.timedelta(days=30)
        user.display_name = name
        user.save()
        CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
    return user


def client_for(campaign, user=None):
    client = Client(HTTP_HOST=host_of(campaign))
    if user:
        with tenant_context(campaign):
            client.force_login(user)
    return client


def all_mail_text(message):
    headers = "\n".join(f"{k}: {v}" for k, v in message.message().items())
    return headers + "\n" + message.body


def test_offer_is_stored_only_approximately_and_shown_on_maps(campaign, django_capture_on_commit_callbacks):
    helper = citizen(campaign, "marie.exacte@ex.fr", "Marie")
    exact = (47.902345, 1.904321)
    with django_capture_on_commit_callbacks() as published:
        response = client_for(campaign, helper).post("/entraide/publier/", {
            "kind": "offer", "category": "Courses et médicaments", "title": "Je fais vos courses",
            "body": "Le mardi matin", "area_label": "Quartier Dunois",
            "latitude": str(exact[0]), "longitude": str(exact[1]),
        })  # fmt: skip
    assert response.status_code == 302
    with tenant_context(campaign):
        post = HelpPost.objects.get(title="Je fais vos courses")
    # Only the centre of a ~300 m cell is kept: not the point given, but close to it.
    assert (post.area.y, post.area.x) != exact
    assert abs(post.area.y - exact[0]) <= 0.0015 and abs(post.area.x - exact[1]) <= 0.002
    assert len(published) == 1
    page = client_for(campaign).get(f"/entraide/{post.pk}/").content.decode()
    assert "Je fais vos courses" in page and "Marie" in page and "marie.exacte" not in page
    assert str(exact[0]) not in page
    geo = client_for(campaign).get("/entraide/annonces.geojson").json()
    assert [f["properties"]["title"] for f in geo["features"]] == ["Je fais vos courses"]
    public = client_for(campaign).get("/api/public/contributions/?bbox=1.8,47.8,2.0,48.0&zoom=12").json()
    assert any(f["properties"]["kind"] == "offer" for f in public["features"])
    assert "marie" not in str(public).lower()


def test_relay_never_reveals_an_email_in_pages_or_mail_headers(campaign, django_capture_on_commit_callbacks):
    author = citizen(campaign, "auteur.secret@ex.fr", "Paul")
    asker = citizen(campaign, "demandeuse.secrete@ex.fr", "Awa")
    with tenant_context(campaign):
        post = aid.post_help(author=author, kind="request", category="Transport", title="Aller à l'hôpital jeudi",
                             body="Besoin d'une voiture")  # fmt: skip
    asking = client_for(campaign, asker)
    with django_capture_on_commit_callbacks(execute=True):
        response = asking.post(f"/entraide/{post.pk}/ecrire/", {"body": "Je peux vous emmener à 9 h."})
    assert response.status_code == 302
    with tenant_context(campaign):
        conversation = Conversation.objects.get(post=post, asker=asker)
    [to_author] = mail.outbox
    assert to_author.to == ["auteur.secret@ex.fr"]
    text = all_mail_text(to_author)
    assert "demandeuse.secrete" not in text and "Awa" in text and "Je peux vous emmener à 9 h." in text
    assert "Reply-To" not in dict(to_author.message().items())
    assert f"/entraide/conversations/{conversation.pk}/" in to_author.body

    answering = client_for(campaign, author)
    page = answering.get(f"/entraide/conversations/{conversation.pk}/").content.decode()
    assert "Je peux vous emmener" in page and "demandeuse.secrete" not in page
    with django_capture_on_commit_callbacks(execute=True):
        answering.post(f"/entraide/conversations/{conversation.pk}/", {"body": "Merci, à jeudi !"})
    to_asker = mail.outbox[-1]
    assert to_asker.to == ["demandeuse.secrete@ex.fr"] and "auteur.secret" not in all_mail_text(to_asker)
    for body in (client_for(campaign, asker).get(f"/entraide/conversations/{conversation.pk}/").content.decode(),
                 client_for(campaign).get(f"/entraide/{post.pk}/").content.decode()):  # fmt: skip
        assert "auteur.secret" not in body and "demandeuse.secrete" not in body
    # A third person cannot read the conversation.
    intruder = citizen(campaign, "curieux@ex.fr")
    assert client_for(campaign, intruder).get(f"/entraide/conversations/{conversation.pk}/").status_code == 404


def test_close_report_and_bad_input(campaign):
    author = citizen(campaign, "a@ex.fr")
    other = citizen(campaign, "b@ex.fr")
    with tenant_context(campaign):
        post = aid.post_help(author=author, kind="offer", category="Prêt de matériel", title="Prête une perceuse",
                             body="…", latitude=47.9, longitude=1.9)  # fmt: skip
    bad = client_for(campaign, author).post("/entraide/publier/", {"kind": "offer", "category": "Astrologie",
                                                                   "title": "", "body": "x"})  # fmt: skip
    assert bad.status_code == 400 and {"category", "title"} <= set(bad.context["form"].errors)
    # Only the author closes it; once closed, it leaves the list and the map.
    assert client_for(campaign, other).post(f"/entraide/{post.pk}/clore/").status_code == 302
    with tenant_context(campaign):
        post.refresh_from_db()
        assert post.status == "open"
    client_for(campaign, author).post(f"/entraide/{post.pk}/clore/")
    with tenant_context(campaign):
        post.refresh_from_db()
        assert post.status == "closed"
    assert "Prête une perceuse" not in client_for(campaign).get("/entraide/").content.decode()
    assert client_for(campaign).get("/entraide/annonces.geojson").json()["features"] == []
    # Anyone can report an abusive post; it reaches the moderation queue.
    with tenant_context(campaign):
        spam = aid.post_help(author=author, kind="offer", category="Autre", title="Crédit facile", body="…")
    assert client_for(campaign).post(f"/signaler/annonce/{spam.pk}/", {"reason": "spam"}).status_code == 302
    with tenant_context(campaign):
        assert Flag.objects.filter(content_type=ContentType.objects.get_for_model(HelpPost), object_id=spam.pk).exists()
    organizer = make_user(campaign, Role.ORGANIZER)
    assert "Crédit facile" in client_for(campaign, organizer).get("/equipe/site/moderation/").content.decode()
    assert aid.approximate(None, 1.0) is None
    # Two doors of the same street share their cell: the place says a neighbourhood, not a door.
    assert aid.approximate(47.90012, 1.90123).equals(aid.approximate(47.90031, 1.90151))
