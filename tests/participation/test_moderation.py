"""Moderation: reports, the queue, hide / restore / trash, bans, automatic hold, and
hidden content gone from every place it appears."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from participation import moderation, selectors
from participation.models import CitizenProfile, Comment, Flag, ModerationEntry, NewsPost, SiteSettings, Visibility
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def client_for(campaign, user=None):
    client = Client(HTTP_HOST=host_of(campaign))
    if user:
        with tenant_context(campaign):
            client.force_login(user)
    return client


def old_citizen(campaign, email):
    user = make_user(campaign, Role.CITIZEN, email)
    with tenant_context(campaign):
        user.date_joined = timezone.now() - dt.timedelta(days=60)
        user.save(update_fields=["date_joined"])
        CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
    return user


@pytest.fixture
def post(campaign):
    with tenant_context(campaign):
        return NewsPost.objects.create(title="Le marché du dimanche", slug="marche", published_at=timezone.now())


def test_reported_comment_hidden_by_a_moderator_disappears_everywhere(campaign, post):
    author = old_citizen(campaign, "auteur@ex.fr")
    client_for(campaign, author).post(f"/commentaires/news/{post.pk}/", {"body": "Propos injurieux envers X"})
    anonymous = client_for(campaign)
    assert "Propos injurieux" in anonymous.get("/actualites/marche/").content.decode()
    with tenant_context(campaign):
        comment = Comment.objects.get(body="Propos injurieux envers X")
        figures_before = selectors.key_figures()["contributions"]

    # A visitor reports it, with a reason.
    assert anonymous.get(f"/signaler/commentaire/{comment.pk}/").status_code == 200
    bad = anonymous.post(f"/signaler/commentaire/{comment.pk}/", {"reason": "n-importe", "text": ""})
    assert bad.status_code == 400
    assert (
        anonymous.post(f"/signaler/commentaire/{comment.pk}/", {"reason": "abuse", "text": "Insulte"}).status_code
        == 302
    )

    moderator = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, moderator)
    queue = staff.get("/equipe/site/moderation/").content.decode()
    assert "Propos injurieux envers X" in queue and "Insulte" in queue
    ct = ContentType.objects.get_for_model(Comment).pk
    # Hiding needs a public reason.
    staff.post(f"/equipe/site/moderation/{ct}/{comment.pk}/", {"do": "hide", "reason": ""})
    with tenant_context(campaign):
        comment.refresh_from_db()
        assert comment.visibility == Visibility.VISIBLE
    staff.post(f"/equipe/site/moderation/{ct}/{comment.pk}/", {"do": "hide", "reason": "Propos injurieux"})

    page = anonymous.get("/actualites/marche/").content.decode()
    assert "Propos injurieux envers X" not in page
    assert "Commentaire masqué par la modération : Propos injurieux" in page
    with tenant_context(campaign):
        assert selectors.key_figures()["contributions"] == figures_before - 1
        assert not Comment.public().filter(pk=comment.pk).exists()
        assert Flag.objects.get(object_id=comment.pk).resolved_by == moderator
        assert ModerationEntry.objects.filter(action="hide", moderator=moderator, reason="Propos injurieux").exists()
    assert "Propos injurieux envers X" not in staff.get("/equipe/site/moderation/").content.decode()

    # Restored, then trashed: gone without a trace in public.
    staff.post(f"/equipe/site/moderation/{ct}/{comment.pk}/", {"do": "restore"})
    assert "Propos injurieux envers X" in anonymous.get("/actualites/marche/").content.decode()
    staff.post(f"/equipe/site/moderation/{ct}/{comment.pk}/", {"do": "trash"})
    page = anonymous.get("/actualites/marche/").content.decode()
    assert "Propos injurieux envers X" not in page and "masqué" not in page
    # Citizens cannot reach the queue.
    assert client_for(campaign, author).get("/equipe/site/moderation/").status_code == 403


def test_new_accounts_posting_links_or_blocked_words_wait_for_a_moderator(campaign, post):
    with tenant_context(campaign):
        site = SiteSettings.current()
        site.blocked_words = "arnaque\nmot interdit"
        site.save()
    newcomer = make_user(campaign, Role.CITIZEN, "nouveau@ex.fr")
    veteran = old_citizen(campaign, "ancien@ex.fr")
    newcomer_client = client_for(campaign, newcomer)
    response = newcomer_client.post(f"/commentaires/news/{post.pk}/", {"body": "Voyez www.promo-pas-chere.com"})
    assert response.status_code == 302
    assert "après vérification" in newcomer_client.get("/actualites/marche/").content.decode()
    client_for(campaign, veteran).post(
        f"/commentaires/news/{post.pk}/", {"body": "Le compte rendu : https://ville.fr/cr"}
    )
    client_for(campaign, veteran).post(f"/commentaires/news/{post.pk}/", {"body": "Une ARNAQUE totale"})
    with tenant_context(campaign):
        state = dict(Comment.objects.values_list("body", "visibility"))
    assert state == {"Voyez www.promo-pas-chere.com": "held", "Le compte rendu : https://ville.fr/cr": "visible",
                     "Une ARNAQUE totale": "held"}  # fmt: skip
    page = client_for(campaign).get("/actualites/marche/").content.decode()
    assert "promo-pas-chere" not in page and "ARNAQUE" not in page and "ville.fr/cr" in page

    moderator = make_user(campaign, Role.ADMIN)
    with tenant_context(campaign):
        held = Comment.objects.get(body="Voyez www.promo-pas-chere.com")
        assert {obj.pk for obj, _n, _f in moderation.queue()} == {
            held.pk,
            Comment.objects.get(body="Une ARNAQUE totale").pk,
        }
        moderation.restore(held, moderator=moderator)
        assert ModerationEntry.objects.filter(action="release", object_id=held.pk).exists()
    assert "promo-pas-chere" in client_for(campaign).get("/actualites/marche/").content.decode()


def test_a_banned_citizen_cannot_post_until_the_ban_ends(campaign, post):
    author = old_citizen(campaign, "troll@ex.fr")
    client = client_for(campaign, author)
    client.post(f"/commentaires/news/{post.pk}/", {"body": "Premier message"})
    moderator = make_user(campaign, Role.ORGANIZER)
    ct = ContentType.objects.get_for_model(Comment).pk
    with tenant_context(campaign):
        comment = Comment.objects.get(body="Premier message")
    client_for(campaign, moderator).post(f"/equipe/site/moderation/{ct}/{comment.pk}/", {"do": "ban", "days": "3"})
    with tenant_context(campaign):
        assert CitizenProfile.objects.get(user=author).is_banned()
    client.post(f"/commentaires/news/{post.pk}/", {"body": "Encore moi"})
    page = client.get("/actualites/marche/").content.decode()
    assert "suspendu jusqu" in page and "Encore moi" not in page
    with tenant_context(campaign):
        assert not Comment.objects.filter(body="Encore moi").exists()
        CitizenProfile.objects.filter(user=author).update(banned_until=timezone.now() - dt.timedelta(seconds=1))
    client.post(f"/commentaires/news/{post.pk}/", {"body": "De retour"})
    with tenant_context(campaign):
        assert Comment.objects.filter(body="De retour", visibility="visible").exists()


def test_comments_are_escaped_and_authors_shown_without_their_email(campaign, post):
    author = old_citizen(campaign, "jean.dupont@ex.fr")
    client_for(campaign, author).post(f"/commentaires/news/{post.pk}/", {"body": "<script>alert(1)</script> bonjour"})
    page = client_for(campaign).get("/actualites/marche/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; bonjour" in page
    assert "jean.dupont" not in page and "Participant·e" in page
    with tenant_context(campaign):
        author.display_name = "Jean du marché"
        author.save()
    assert "Jean du marché" in client_for(campaign).get("/actualites/marche/").content.decode()


def test_replies_are_threaded_under_their_comment(campaign, post):
    a, b = old_citizen(campaign, "a@ex.fr"), old_citizen(campaign, "b@ex.fr")
    client_for(campaign, a).post(f"/commentaires/news/{post.pk}/", {"body": "Question sur les horaires"})
    with tenant_context(campaign):
        parent = Comment.objects.get(body="Question sur les horaires")
    client_for(campaign, b).post(f"/commentaires/news/{post.pk}/", {"body": "Dès 8 h", "parent": parent.pk})
    with tenant_context(campaign):
        assert Comment.objects.get(body="Dès 8 h").parent == parent
        [top] = selectors.comments_on(post)
        assert [r.body for r in top.thread] == ["Dès 8 h"]
    empty = client_for(campaign, a).post(f"/commentaires/news/{post.pk}/", {"body": "   "})
    assert empty.status_code == 302
    with tenant_context(campaign):
        assert Comment.objects.count() == 2
