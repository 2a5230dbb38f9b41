"""Idea box and Q&A: proposals, votes (once, within limits, inside a zone, under
concurrency), official answers, moderation everywhere, exports, CRM activity."""

import csv
import datetime as dt
import io
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.models import Address, Contact, Household, Interaction
from crm.segments import contacts_matching
from participation import moderation, services
from participation.ideas import services as ideas
from participation.ideas.models import Proposal, Question, Vote
from participation.models import CitizenProfile
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def citizen(campaign, email, point=None):
    """A confirmed citizen with a CRM contact (at `point` when given)."""
    user = make_user(campaign, Role.CITIZEN, email)
    with tenant_context(campaign):
        user.date_joined = timezone.now() - dt.timedelta(days=90)
        user.save(update_fields=["date_joined"])
        household = None
        if point is not None:
            address = Address.objects.create(line1=f"1 rue {email}", postal_code="45000", city="Orléans", key=email,
                                             point=point)  # fmt: skip
            household = Household.objects.create(address=address)
        contact = Contact.objects.create(email=email, first_names="Cit", household=household)
        CitizenProfile.objects.create(user=user, contact=contact, email_confirmed_at=timezone.now())
    return user


def client_for(campaign, user=None):
    client = Client(HTTP_HOST=host_of(campaign))
    if user:
        with tenant_context(campaign):
            client.force_login(user)
    return client


def open_programme(**fields):
    project = services.create_project("programme", starts_at=timezone.now() - dt.timedelta(days=2), days=21,
                                      **fields)  # fmt: skip
    # Make the idea box (step 2) the open step.
    collect = project.steps.get(kind="collect")
    collect.starts_at, collect.ends_at = timezone.now() - dt.timedelta(days=1), timezone.now() + dt.timedelta(days=9)
    collect.save()
    return project, collect


def test_citizen_posts_a_geolocated_idea_others_vote_team_answers(campaign):
    with tenant_context(campaign):
        project, step = open_programme(title="Programme Orléans")
    alice, bob = citizen(campaign, "alice@ex.fr"), citizen(campaign, "bob@ex.fr")
    a = client_for(campaign, alice)
    response = a.post(f"/projets/{project.slug}/etapes/{step.position}/proposer/", {
        "title": "Une piste cyclable rue de Bourgogne", "body": "Pour aller à l'école en sécurité.",
        "theme": "Transports", "address": "Rue de Bourgogne", "latitude": "47.9015", "longitude": "1.9090",
    })  # fmt: skip
    assert response.status_code == 302
    with tenant_context(campaign):
        proposal = Proposal.objects.get(title="Une piste cyclable rue de Bourgogne")
        assert proposal.author == alice and proposal.location.coords == pytest.approx((1.909, 47.9015))
    page = client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/").content.decode()
    assert "Une piste cyclable rue de Bourgogne" in page and "0 soutien" in page
    geo = client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/idees.geojson").json()
    assert [f["properties"]["title"] for f in geo["features"]] == ["Une piste cyclable rue de Bourgogne"]

    b = client_for(campaign, bob)
    assert b.post(f"/idees/{proposal.pk}/vote/").status_code == 302
    again = b.post(f"/idees/{proposal.pk}/vote/", HTTP_ACCEPT="application/json")
    assert again.status_code == 409 and again.json()["message"] == "Vous avez déjà voté pour cette proposition."
    with tenant_context(campaign):
        proposal.refresh_from_db()
        assert proposal.votes_count == 1 == Vote.objects.filter(proposal=proposal).count()
    # Unknown theme, missing title: refused with the reason, nothing created.
    bad = a.post(f"/projets/{project.slug}/etapes/{step.position}/proposer/", {"title": "", "body": "x",
                                                                              "theme": "Astronomie"})  # fmt: skip
    assert bad.status_code == 400 and {"title", "theme"} <= set(bad.context["form"].errors)
    with tenant_context(campaign):
        assert Proposal.objects.filter(step=step).count() == 1

    organizer = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, organizer)
    staff.post(f"/idees/{proposal.pk}/reponse/", {"status": "studying", "answer": "Étude en cours avec la voirie."})
    page = client_for(campaign).get(f"/idees/{proposal.pk}/").content.decode()
    assert "Étude en cours avec la voirie." in page and "À l&#x27;étude" in page
    assert client_for(campaign, bob).post(f"/idees/{proposal.pk}/reponse/", {"status": "done"}).status_code == 403

    # The CRM knows these citizens took part; segments can select them.
    with tenant_context(campaign):
        voters = contacts_matching({"participation": {"module": "ideas", "action": "vote"}})
        assert list(voters.values_list("email", flat=True)) == ["bob@ex.fr"]
        authors = contacts_matching({"participation": {"action": "proposal", "project": project.pk}})
        assert list(authors.values_list("email", flat=True)) == ["alice@ex.fr"]
        with pytest.raises(Exception, match="participation"):
            contacts_matching({"participation": {"what": 1}})


def test_vote_limit_per_citizen_per_step_holds_under_concurrency(committed):
    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        project, step = open_programme()
        step.config["vote_limit"] = 3
        step.save()
        author = citizen(campaign, "auteur@ex.fr")
        proposals = [ideas.submit_proposal(step, author=author, title=f"Idée {n}", body="…") for n in range(8)]
    voter = citizen(campaign, "voteur@ex.fr")
    results, barrier = [], threading.Barrier(8)

    def go(proposal):
        client = client_for(campaign, voter)
        barrier.wait()
        results.append(client.post(f"/idees/{proposal.pk}/vote/", HTTP_ACCEPT="application/json").status_code)
        connection.close()

    threads = [threading.Thread(target=go, args=(p,)) for p in proposals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 3 + [403] * 5
    with tenant_context(campaign):
        assert Vote.objects.filter(user=voter).count() == 3
        assert sum(Proposal.objects.filter(step=step).values_list("votes_count", flat=True)) == 3
        not_voted = next(p for p in proposals if not Vote.objects.filter(proposal=p, user=voter).exists())
    response = client_for(campaign, voter).post(f"/idees/{not_voted.pk}/vote/", HTTP_ACCEPT="application/json")
    assert "déjà utilisé vos 3 votes" in response.json()["message"]


def test_one_vote_per_citizen_under_concurrency(committed):
    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        project, step = open_programme()
        proposal = ideas.submit_proposal(step, author=citizen(campaign, "a@ex.fr"), title="Idée", body="…")
    voter = citizen(campaign, "v@ex.fr")
    results, barrier = [], threading.Barrier(6)

    def go():
        client = client_for(campaign, voter)
        barrier.wait()
        results.append(client.post(f"/idees/{proposal.pk}/vote/", HTTP_ACCEPT="application/json").status_code)
        connection.close()

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [409] * 5
    with tenant_context(campaign):
        proposal.refresh_from_db()
        assert proposal.votes_count == 1 == proposal.votes.count()


def test_zone_restricted_votes(campaign):
    from crm.field.models import Zone

    with tenant_context(campaign):
        zone = Zone.objects.create(
            name="La Source",
            code="LS",
            geometry=MultiPolygon(
                Polygon(((1.90, 47.83), (1.96, 47.83), (1.96, 47.86), (1.90, 47.86), (1.90, 47.83))), srid=4326
            ),
        )
        project, step = open_programme()
        step.config["vote_zone"] = zone.pk
        step.save()
        proposal = ideas.submit_proposal(step, author=citizen(campaign, "a@ex.fr"), title="Jardin partagé", body="…")
    inside = citizen(campaign, "dedans@ex.fr", Point(1.93, 47.845, srid=4326))
    outside = citizen(campaign, "dehors@ex.fr", Point(1.90, 47.90, srid=4326))
    unknown = citizen(campaign, "sans-adresse@ex.fr")
    assert (
        client_for(campaign, inside).post(f"/idees/{proposal.pk}/vote/", HTTP_ACCEPT="application/json").status_code
        == 200
    )
    for user in (outside, unknown):
        response = client_for(campaign, user).post(f"/idees/{proposal.pk}/vote/", HTTP_ACCEPT="application/json")
        assert response.status_code == 403 and "réservé aux habitants de « La Source »" in response.json()["message"]
    with tenant_context(campaign):
        assert Vote.objects.filter(proposal=proposal).count() == 1


def test_closed_steps_and_outsiders_cannot_vote(campaign):
    with tenant_context(campaign):
        project, step = open_programme()
        proposal = ideas.submit_proposal(step, author=citizen(campaign, "a@ex.fr"), title="Idée", body="…")
        step.ends_at = timezone.now() - dt.timedelta(minutes=1)
        step.save()
    voter = citizen(campaign, "v@ex.fr")
    response = client_for(campaign, voter).post(f"/idees/{proposal.pk}/vote/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403 and "pas ouverte" in response.json()["message"]
    assert client_for(campaign).post(f"/idees/{proposal.pk}/vote/").status_code == 302  # to the login page
    with tenant_context(campaign):
        assert not Vote.objects.exists()


def test_the_teams_workbook_takes_a_step_titled_with_a_colon_and_an_idea_pasted_from_word(campaign):
    """A sheet's name may not hold ":" or "?", which step titles do; a text pasted from
    Word may hold its line break (\\x0b), which XML may not. Each made the XLSX export
    fail (openpyxl refused them)."""
    from openpyxl import load_workbook

    with tenant_context(campaign):
        project, step = open_programme()
        step.title = "Vos idées : quel centre-ville ?"
        step.save()
    alice = client_for(campaign, citizen(campaign, "alice@ex.fr"))
    response = alice.post(f"/projets/{project.slug}/etapes/{step.position}/proposer/", {
        "title": "Des bancs", "body": "Place du Martroi\x0bet rue Jeanne d'Arc", "theme": "Transports",
        "address": "Place du Martroi", "latitude": "47.9025", "longitude": "1.9040",
    })  # fmt: skip
    assert response.status_code == 302
    staff = client_for(campaign, make_user(campaign, Role.ORGANIZER))
    export = staff.get(f"/projets/{project.slug}/etapes/{step.position}/export.xlsx")
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert workbook.sheetnames == ["Vos idées quel centre-ville"]
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "Titre", "Description")
    assert rows[1][1:3] == ("Des bancs", "Place du Martroiet rue Jeanne d'Arc")


def test_hidden_proposals_disappear_from_list_map_page_and_export(campaign):
    with tenant_context(campaign):
        project, step = open_programme()
        author = citizen(campaign, "a@ex.fr")
        keep = ideas.submit_proposal(step, author=author, title="Idée sérieuse", body="…",
                                     location=Point(1.9, 47.9, srid=4326))  # fmt: skip
        spam = ideas.submit_proposal(step, author=author, title="=HYPERLINK(\"http://x\")", body="pub",
                                     location=Point(1.91, 47.91, srid=4326))  # fmt: skip
    organizer = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, organizer)
    export = staff.get(f"/projets/{project.slug}/etapes/{step.position}/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig")), delimiter=";"))
    titles = [r[1] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in titles  # a formula is exported as text
    assert rows[0][-2:] == ["Auteur", "E-mail"] and rows[1][-1] == "a@ex.fr"

    ct = ContentType.objects.get_for_model(Proposal).pk
    staff.post(f"/equipe/site/moderation/{ct}/{spam.pk}/", {"do": "hide", "reason": "Publicité"})
    visitor = client_for(campaign)
    assert "HYPERLINK" not in visitor.get(f"/projets/{project.slug}/etapes/{step.position}/").content.decode()
    geo = visitor.get(f"/projets/{project.slug}/etapes/{step.position}/idees.geojson").json()
    assert [f["properties"]["id"] for f in geo["features"]] == [keep.pk]
    assert visitor.get(f"/idees/{spam.pk}/").status_code == 404
    export = staff.get(f"/projets/{project.slug}/etapes/{step.position}/export.xlsx")
    assert export.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Idée sérieuse"]
    # The live map's contributions layer (livemap) reads the same rule.
    with tenant_context(campaign):
        assert not Proposal.public().filter(pk=spam.pk).exists()
    # A volunteer may not export.
    assert client_for(campaign, make_user(campaign, Role.VOLUNTEER)).get(
        f"/projets/{project.slug}/etapes/{step.position}/export.csv").status_code == 403  # fmt: skip


def test_anonymous_idea_box_keeps_no_author_and_no_crm_trace(campaign):
    with tenant_context(campaign):
        project, step = open_programme(anonymous=True)
    user = citizen(campaign, "anonyme@ex.fr")
    client_for(campaign, user).post(f"/projets/{project.slug}/etapes/{step.position}/proposer/",
                                    {"title": "Sans nom", "body": "…"})  # fmt: skip
    with tenant_context(campaign):
        proposal = Proposal.objects.get(title="Sans nom")
        assert proposal.author is None
    client_for(campaign, user).post(f"/idees/{proposal.pk}/vote/")
    with tenant_context(campaign):
        assert not Interaction.objects.filter(kind="contribution").exists()


def test_questions_most_supported_unanswered_first_for_the_team(campaign):
    with tenant_context(campaign):
        project = services.create_project("questions-first", starts_at=timezone.now() - dt.timedelta(hours=1))
        step = project.steps.get(kind="qa")
    asker, others = citizen(campaign, "q@ex.fr"), [citizen(campaign, f"o{n}@ex.fr") for n in range(3)]
    client = client_for(campaign, asker)
    for body in ("Quand ouvre la crèche ?", "Le bus 12 va-t-il rester ?", "Où voter ?"):
        client.post(f"/projets/{project.slug}/etapes/{step.position}/questions/", {"body": body})
    with tenant_context(campaign):
        crèche, bus, vote = (Question.objects.get(body__startswith=s) for s in ("Quand", "Le bus", "Où"))
    for o in others:
        client_for(campaign, o).post(f"/questions/{bus.pk}/soutien/")
    client_for(campaign, others[0]).post(f"/questions/{vote.pk}/soutien/")
    client_for(campaign, others[0]).post(f"/questions/{vote.pk}/soutien/")  # once only
    organizer = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, organizer)
    staff.post(f"/questions/{bus.pk}/reponse/", {"answer": "Oui, le bus 12 reste."})
    with tenant_context(campaign):
        bus.refresh_from_db()
        vote.refresh_from_db()
        assert (bus.votes_count, vote.votes_count) == (3, 1) and bus.answered_by == organizer
    team_page = staff.get(f"/projets/{project.slug}/etapes/{step.position}/").content.decode()
    assert team_page.index("Où voter") < team_page.index("Quand ouvre") < team_page.index("Le bus 12")
    public = client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/").content.decode()
    assert public.index("Le bus 12") < public.index("Où voter") and "Oui, le bus 12 reste." in public
    with tenant_context(campaign):
        moderation.hide(crèche, moderator=organizer, reason="Doublon")
    assert (
        "Quand ouvre"
        not in client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/").content.decode()
    )


def test_api_lists_visible_items_and_posts_and_votes_as_the_citizen(campaign):
    from rest_framework.authtoken.models import Token

    with tenant_context(campaign):
        project, step = open_programme()
        private_project, private_step = open_programme(visibility="private")
    alice = citizen(campaign, "api-alice@ex.fr")
    with tenant_context(campaign):
        token = Token.objects.create(user=alice).key
    api = Client(HTTP_HOST=host_of(campaign), HTTP_AUTHORIZATION=f"Token {token}")
    created = api.post(
        "/api/proposals/",
        {"step": step.pk, "title": "Composteurs", "body": "Dans chaque quartier", "latitude": 47.9, "longitude": 1.9},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["author"] == "Participant·e" and body["point"] == [1.9, 47.9] and "email" not in str(body)
    assert api.post(f"/api/proposals/{body['id']}/vote/").status_code == 200
    again = api.post(f"/api/proposals/{body['id']}/vote/")
    assert again.status_code == 409 and "déjà voté" in again.json()["detail"]
    # Private project: not found for someone not invited; bad input: a clear 400.
    assert api.post("/api/proposals/", {"step": private_step.pk, "title": "x", "body": "y"},
                    content_type="application/json").status_code == 404  # fmt: skip
    bad = api.post("/api/proposals/", {"step": step.pk, "title": "", "body": "y", "latitude": 47.9},
                   content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "title" in bad.json()
    half = api.post("/api/proposals/", {"step": step.pk, "title": "x", "body": "y", "latitude": 47.9},
                    content_type="application/json")  # fmt: skip
    assert half.status_code == 400 and "latitude" in half.json()
    with tenant_context(campaign):
        moderation.hide(Proposal.objects.get(title="Composteurs"), moderator=None, reason="Test")
    listing = Client(HTTP_HOST=host_of(campaign)).get(f"/api/proposals/?step={step.pk}")
    assert listing.status_code == 200 and listing.json()["results"] == []
    assert Client(HTTP_HOST=host_of(campaign)).post("/api/proposals/", {}).status_code == 401


def test_comments_on_a_proposal_count_for_most_commented(campaign):
    with tenant_context(campaign):
        project, step = open_programme()
        author = citizen(campaign, "c-auteur@ex.fr")
        quiet = ideas.submit_proposal(step, author=author, title="Idée calme", body="…")
        talked = ideas.submit_proposal(step, author=author, title="Idée discutée", body="…")
    commenter = client_for(campaign, citizen(campaign, "c-lecteur@ex.fr"))
    for body in ("Bonne idée", "Et le coût ?"):
        assert commenter.post(f"/commentaires/proposal/{talked.pk}/", {"body": body}).status_code == 302
    with tenant_context(campaign):
        talked.refresh_from_db()
        assert talked.comments_count == 2
    page = client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/?sort=comments").content.decode()
    assert page.index("Idée discutée") < page.index("Idée calme")
    assert "Et le coût ?" in client_for(campaign).get(f"/idees/{talked.pk}/").content.decode()
    with tenant_context(campaign):
        moderation.hide(quiet, moderator=None, reason="Doublon")
    assert commenter.post(f"/commentaires/proposal/{quiet.pk}/", {"body": "x"}).status_code == 404


def test_selected_proposals_are_carried_into_the_vote_step_once(campaign):
    with tenant_context(campaign):
        project, collect = open_programme()
        author = citizen(campaign, "porteur@ex.fr")
        kept = ideas.submit_proposal(collect, author=author, title="Gardée", body="…")
        ideas.submit_proposal(collect, author=author, title="Écartée", body="…")
        ideas.answer_proposal(kept, status="selected", answer="Retenue pour le vote", actor=None)
        vote_step = project.steps.get(kind="vote")
        vote_step.starts_at = timezone.now() - dt.timedelta(hours=1)
        vote_step.save()
    organizer = make_user(campaign, Role.ORGANIZER)
    staff = client_for(campaign, organizer)
    for _ in range(2):  # twice: still one copy
        assert staff.post(f"/projets/{project.slug}/etapes/{vote_step.position}/reprendre/").status_code == 302
    with tenant_context(campaign):
        copies = list(Proposal.objects.filter(step=vote_step))
    assert [(c.title, c.origin_id) for c in copies] == [("Gardée", kept.pk)]
    voter = citizen(campaign, "vote-final@ex.fr")
    assert (
        client_for(campaign, voter).post(f"/idees/{copies[0].pk}/vote/", HTTP_ACCEPT="application/json").status_code
        == 200
    )
    assert (
        client_for(campaign, voter).post(f"/projets/{project.slug}/etapes/{vote_step.position}/reprendre/").status_code
        == 403
    )


def test_authors_who_asked_are_told_of_replies_and_answers(campaign, django_capture_on_commit_callbacks):
    from django.core import mail

    with tenant_context(campaign):
        project, step = open_programme()
        alice, bob = citizen(campaign, "alice.notif@ex.fr"), citizen(campaign, "bob.notif@ex.fr")
        CitizenProfile.objects.filter(user=bob).update(notify_replies=False)
        mine = ideas.submit_proposal(step, author=alice, title="Des bancs", body="…")
        theirs = ideas.submit_proposal(step, author=bob, title="Des arbres", body="…")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(campaign, bob).post(f"/commentaires/proposal/{mine.pk}/", {"body": "Bonne idée"})
    with tenant_context(campaign):
        from participation.models import Comment

        first = Comment.objects.get(body="Bonne idée")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(campaign, alice).post(f"/commentaires/proposal/{mine.pk}/", {"body": "Merci !", "parent": first.pk})
        client_for(campaign, bob).post(f"/commentaires/proposal/{mine.pk}/", {"body": "Moi encore", "parent": first.pk})
    # Bob opted out of reply e-mails; Alice replying to herself gets nothing either.
    assert mail.outbox == []
    organizer = make_user(campaign, Role.ORGANIZER)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(campaign, organizer).post(
            f"/idees/{mine.pk}/reponse/", {"status": "selected", "answer": "Retenue !"}
        )
        client_for(campaign, organizer).post(f"/idees/{theirs.pk}/reponse/", {"status": "selected", "answer": "Oui"})
    [sent] = mail.outbox
    assert sent.to == ["alice.notif@ex.fr"] and "Des bancs" in sent.subject and "Retenue !" in sent.body
    assert f"/idees/{mine.pk}/" in sent.body
