"""Consultation: contributions and amendments, agree/disagree/mixed votes (one per
person, changeable), arguments, sorts, synthesis; opinion groups from the votes."""

import datetime as dt
import threading

import numpy as np
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from participation import services
from participation.debate import opinion
from participation.debate import services as debate
from participation.debate.models import Contribution, OpinionGroups, TextSection, Vote
from participation.models import CitizenProfile
from tests.conftest import host_of, make_user


@pytest.fixture
def campaign(shared_campaign, db):
    return shared_campaign


def citizen(campaign, email):
    user = make_user(campaign, Role.CITIZEN, email)
    with tenant_context(campaign):
        user.date_joined = timezone.now() - dt.timedelta(days=30)
        user.save(update_fields=["date_joined"])
        CitizenProfile.objects.create(user=user, email_confirmed_at=timezone.now())
    return user


def client_for(campaign, user=None):
    client = Client(HTTP_HOST=host_of(campaign))
    if user:
        with tenant_context(campaign):
            client.force_login(user)
    return client


def open_debate():
    project = services.create_project("open-debate", starts_at=timezone.now() - dt.timedelta(days=3), days=21)
    step = project.steps.get(kind="consultation")
    step.starts_at = timezone.now() - dt.timedelta(days=1)
    step.save()
    return project, step


def test_team_writes_the_text_citizens_contribute_vote_argue_team_synthesises(campaign):
    organizer = make_user(campaign, Role.ORGANIZER)
    with tenant_context(campaign):
        project, step = open_debate()
    staff = client_for(campaign, organizer)
    staff.post(
        f"/projets/{project.slug}/etapes/{step.position}/", {"title": "Mobilités", "body": "Des **pistes** partout."}
    )
    with tenant_context(campaign):
        section = TextSection.objects.get(step=step)
    a, b, c = (citizen(campaign, f"{n}@ex.fr") for n in "abc")
    client_for(campaign, a).post(f"/consultation/sections/{section.pk}/contribuer/",
                                 {"body": "Un tramway vers La Source", "kind": "amendment"})  # fmt: skip
    client_for(campaign, b).post(f"/consultation/sections/{section.pk}/contribuer/", {"body": "Des bus la nuit"})
    with tenant_context(campaign):
        tram, bus = (
            Contribution.objects.get(body__startswith="Un tram"),
            Contribution.objects.get(body__startswith="Des bus"),
        )
        assert tram.kind == "amendment"
    for user, value in ((a, 1), (b, -1), (c, 1)):
        client_for(campaign, user).post(f"/consultation/contributions/{tram.pk}/vote/", {"value": value})
    client_for(campaign, c).post(f"/consultation/contributions/{tram.pk}/vote/", {"value": -1})  # changes the vote
    client_for(campaign, a).post(f"/consultation/contributions/{bus.pk}/vote/", {"value": 1})
    client_for(campaign, a).post(f"/consultation/contributions/{bus.pk}/vote/", {"value": "7"})  # refused
    with tenant_context(campaign):
        tram.refresh_from_db()
        bus.refresh_from_db()
        assert (tram.agree, tram.disagree, tram.mixed) == (1, 2, 0) and Vote.objects.filter(
            contribution=tram
        ).count() == 3
        assert (bus.agree, bus.disagree) == (1, 0)
    client_for(campaign, b).post(
        f"/consultation/contributions/{tram.pk}/argument/", {"side": "against", "body": "Trop cher"}
    )
    page = client_for(campaign).get(f"/consultation/sections/{section.pk}/?tri=controversial").content.decode()
    assert "<strong>pistes</strong>" in page and "Trop cher" in page
    assert page.index("Un tramway") < page.index("Des bus")  # 1 against 2: the most debated first
    staff.post(
        f"/consultation/sections/{section.pk}/synthese/",
        {"synthesis": "Le tramway divise ; les bus de nuit font consensus."},
    )
    assert "font consensus" in client_for(campaign).get(f"/consultation/sections/{section.pk}/").content.decode()
    assert (
        client_for(campaign, a).post(f"/consultation/sections/{section.pk}/synthese/", {"synthesis": "x"}).status_code
        == 403
    )


def test_one_vote_per_person_under_concurrency(committed):
    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        project, step = open_debate()
        section = TextSection.objects.create(step=step, position=1, title="S", body="…")
        author = citizen(campaign, "auteur@ex.fr")
        contribution = debate.contribute(section, author=author, body="Une idée")
    voter = citizen(campaign, "voteur@ex.fr")
    barrier = threading.Barrier(6)

    def go(value):
        client = client_for(campaign, voter)
        barrier.wait()
        client.post(f"/consultation/contributions/{contribution.pk}/vote/", {"value": value})
        connection.close()

    threads = [threading.Thread(target=go, args=(v,)) for v in (1, 1, 1, -1, -1, 0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with tenant_context(campaign):
        contribution.refresh_from_db()
        [vote] = Vote.objects.filter(contribution=contribution)
        counts = {1: contribution.agree, -1: contribution.disagree, 0: contribution.mixed}
    # Whatever order the clicks landed in: one vote, and the counters say the same.
    assert sum(counts.values()) == 1 and counts[vote.value] == 1


def planted(n_people, n_statements, groups, seed=3):
    rng = np.random.default_rng(seed)
    profiles = rng.choice([-1, 1], size=(groups, n_statements))
    profiles[:, :4] = 1  # everyone agrees with the first four
    truth = rng.integers(groups, size=n_people)
    votes = [(p, s, int(profiles[truth[p], s] if rng.random() < 0.9 else rng.choice([-1, 0, 1])))
             for p in range(n_people) for s in range(n_statements) if rng.random() < 0.7]  # fmt: skip
    return votes, truth


@pytest.mark.parametrize("groups", [2, 3, 4])
def test_opinion_groups_recover_planted_groups(groups):
    votes, truth = planted(240, 30, groups)
    result = opinion.opinion_groups(votes)
    labels = np.array([result["labels"][str(p)] for p in range(240)])
    assert len(result["groups"]) == groups
    purity = sum(np.bincount(truth[labels == g]).max() for g in set(labels.tolist())) / len(labels)
    assert purity >= 0.95
    assert {c["statement"] for c in result["consensus"]} >= {0, 1, 2, 3}
    assert all(g["defining"] for g in result["groups"])


def test_opinion_groups_are_computed_in_celery_and_shown_without_names(committed, celery_worker_process):
    campaign = committed.campaign().campaign
    with tenant_context(campaign):
        project, step = open_debate()
        section = TextSection.objects.create(step=step, position=1, title="S", body="…")
        author = citizen(campaign, "auteur@ex.fr")
        statements = [debate.contribute(section, author=author, body=f"Affirmation {n}") for n in range(12)]
        votes, _truth = planted(30, 12, 2)
        people = [citizen(campaign, f"p{n}@ex.fr") for n in range(30)]
        Vote.objects.bulk_create(Vote(contribution=statements[s], user=people[p], value=v) for p, s, v in votes)
    from participation.debate.tasks import refresh_opinion_groups

    with tenant_context(campaign):
        participants = refresh_opinion_groups.delay(step.pk).get(timeout=60)
    assert participants == 30
    with tenant_context(campaign):
        stored = OpinionGroups.objects.get(step=step)
        assert len(stored.data["groups"]) == 2 and "labels" not in stored.data
    page = client_for(campaign).get(f"/projets/{project.slug}/etapes/{step.position}/").content.decode()
    assert "Les groupes d&#x27;opinion" in page or "Les groupes d'opinion" in page
    assert "Affirmation" in page and "p1@ex.fr" not in page
