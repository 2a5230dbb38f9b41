"""Campaigns filled with data of every kind, for the hardening checks.

Each campaign gets a marker (`World.marker`, e.g. "ZZA3F9C1") written into the
names and texts of its objects: a response on another campaign's host that contains
it has leaked. Every role has an account; every kind of object the API and the staff
pages name (contacts, zones, turfs, actions, assignments, reports, segments, imports,
messages, pages, news, events, projects, proposals, questions, consultation texts,
mutual-aid posts and conversations, comments...) exists at least once.
"""

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field

from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from campaigns.accounts.models import Team, User
from campaigns.accounts.roles import assign_role

PASSWORD = "motdepasse-solide-42"
ROLES = ["admin", "organizer", "team_leader", "volunteer", "citizen"]


@dataclass
class World:
    campaign: object
    host: str
    marker: str
    users: dict  # role -> User ("volunteer_ended": a volunteer whose assignment is over)
    tokens: dict  # role -> API token key
    ids: dict = field(default_factory=dict)  # model label -> [pk, ...]
    slugs: dict = field(default_factory=dict)  # what -> [slug, ...]
    steps: dict = field(default_factory=dict)  # step kind -> (project slug, position)
    secrets: dict = field(default_factory=dict)  # what -> signed token made by this campaign
    texts: list = field(default_factory=list)  # strings only this campaign holds

    @property
    def tag(self):
        """Slugs of this campaign's objects: unique, but not the marker (a 404 page may
        repeat the path it was asked for)."""
        return f"w{self.campaign.pk}"


def build_world(campaign, host, *, index, people=120):
    marker = f"ZZ{chr(65 + index)}{secrets.token_hex(3).upper()}"
    with tenant_context(campaign):
        _spread_ids(campaign.schema_name, index)
        world = World(campaign=campaign, host=host, marker=marker, users={}, tokens={})
        _people_and_field(world, index, people)
        _crm(world)
        _site(world)
        _modules(world)
        _collect(world)
    connection.set_schema_to_public()
    return world


def _spread_ids(schema, index):
    """Ids are per schema, so campaign 1's contact 54 and campaign 2's contact 54 both
    exist; start each campaign's sequences in a range of its own, so that an id of one
    campaign names nothing in the others and a request for it must be refused."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [schema])
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER SEQUENCE "{schema}"."{name}" RESTART WITH {(index + 1) * 1_000_000}')


def _user(world, role, label=None):
    slug = world.campaign.schema_name
    user = User.objects.create_user(f"{label or role}@{slug}.example.org", PASSWORD, full_name=f"{role} {world.marker}")
    assign_role(user, role)
    return user


def _people_and_field(world, index, people):
    from crm.field.models import Action, Assignment
    from demo.seed import fill_town
    from participation.models import CitizenProfile

    for role in ROLES:
        world.users[role] = _user(world, role)
        world.tokens[role] = Token.objects.create(user=world.users[role]).key
    world.users["volunteer_ended"] = _user(world, "volunteer", "volunteer-ended")
    CitizenProfile.objects.create(user=world.users["citizen"], email_confirmed_at=timezone.now())
    team = Team.objects.create(name=f"Équipe {world.marker}")
    team.leaders.add(world.users["team_leader"])
    team.members.add(world.users["volunteer"], world.users["volunteer_ended"])
    fill_town(people=people, seed=100 + index, team=team, volunteers=[world.users["volunteer"]])
    action = Action.objects.get()
    action.name = f"Porte-à-porte {world.marker}"
    action.save(update_fields=["name"])
    assignment = Assignment.objects.get(volunteer=world.users["volunteer"])
    Assignment.objects.create(
        action=action, turf=assignment.turf, volunteer=world.users["volunteer_ended"],
        starts_at=timezone.now() - dt.timedelta(days=3), ends_at=timezone.now() - dt.timedelta(days=2),
    )  # fmt: skip
    _reports(world, assignment)


def _reports(world, assignment):
    from crm.field.reports import record_reports
    from crm.field.turfs import walk_list_for

    walk = walk_list_for(assignment.turf, action=assignment.action)
    doors = [(b, d) for s in walk["streets"] for b in s["buildings"] for d in b["doors"]][:3]
    items = [
        {"uuid": str(uuid.uuid4()), "action": assignment.action_id, "turf": assignment.turf_id,
         "address": building["address"], "household": door["household"], "result": "talked",
         "answers": {"q1": 4}, "notes": f"Note {world.marker}", "done_at": timezone.now().isoformat()}
        for building, door in doors
    ]  # fmt: skip
    outcomes = record_reports(world.users["volunteer"], items)
    assert all(o.status in (200, 201) for o in outcomes), [o.__dict__ for o in outcomes]


def _crm(world):
    from crm.messaging.models import Message
    from crm.models import Contact, ImportJob, SavedMapping, Segment, Tag

    contact = Contact.objects.order_by("pk").first()
    contact.birth_name = world.marker
    contact.email = f"{world.marker.lower()}@example.org"
    contact.support_level = 5
    contact.save()
    tag = Tag.objects.create(name=f"Tag {world.marker}")
    contact.tags.add(tag)
    segment = Segment.objects.create(name=f"Segment {world.marker}", filters={"tags": [tag.name]})
    SavedMapping.objects.create(name=f"Mapping {world.marker}", mapping={"Nom": "birth_name"})
    from crm.importing.pipeline import reports_dir

    job = ImportJob.objects.create(
        file_name=f"liste-{world.marker}.csv", file_path="/nonexistent", status=ImportJob.Status.DONE,
        created_by=world.users["admin"],
    )  # fmt: skip
    job.report_path = str(reports_dir() / f"import-{job.pk}-rejected.csv")
    with open(job.report_path, "w", encoding="utf-8") as report:
        report.write(f"ligne;colonne;motif\n3;Nom;{world.marker} manquant\n")
    job.save(update_fields=["report_path"])
    Message.objects.create(
        channel="email", name=f"Message {world.marker}", subject=f"Objet {world.marker}", body="Bonjour",
        segment=segment, created_by=world.users["admin"],
    )  # fmt: skip


def _site(world):
    from participation.models import Event, NewsPost, Page, Rsvp

    Page.objects.create(title=f"Page {world.marker}", slug=f"page-{world.tag}", body=world.marker)
    NewsPost.objects.create(
        title=f"Actualité {world.marker}", slug=f"actu-{world.tag}", body=world.marker,
        published_at=timezone.now() - dt.timedelta(hours=1),
    )  # fmt: skip
    event = Event.objects.create(
        title=f"Réunion {world.marker}", slug=f"reunion-{world.tag}", place="Salle",
        starts_at=timezone.now() + dt.timedelta(days=5), capacity=10,
    )  # fmt: skip
    Rsvp.objects.create(
        event=event,
        name=f"Inscrit {world.marker}",
        email=f"rsvp-{world.marker.lower()}@example.org",
        status=Rsvp.Status.GOING,
    )


def _modules(world):
    from participation.aid.services import contact as aid_contact
    from participation.aid.services import post_help
    from participation.debate.models import TextSection
    from participation.debate.services import argue, contribute
    from participation.ideas.services import ask, submit_proposal
    from participation.models import Comment, Step
    from participation.services import create_project

    citizen = world.users["citizen"]
    start = timezone.now() - dt.timedelta(days=2)
    for preset in ("programme", "open-debate", "questions-first", "crisis-review"):
        project = create_project(preset, title=f"Projet {preset} {world.marker}", starts_at=start, days=21)
        project.slug = f"{preset}-{world.tag}"
        project.save(update_fields=["slug"])
        for step in project.steps.all():
            step.starts_at, step.ends_at = start, timezone.now() + dt.timedelta(days=10)
            step.save(update_fields=["starts_at", "ends_at"])
    collect = Step.objects.filter(kind=Step.Kind.COLLECT).first()
    proposal = submit_proposal(
        collect, author=citizen, title=f"Idée {world.marker}", body=world.marker,
        theme=(collect.config.get("themes") or [""])[0], location=Point(1.9, 47.9, srid=4326),
    )  # fmt: skip
    Comment.objects.create(target=proposal, author=citizen, body=f"Commentaire {world.marker}")
    ask(Step.objects.filter(kind=Step.Kind.QA).first(), author=citizen, body=f"Question {world.marker} ?")
    consultation = Step.objects.filter(kind=Step.Kind.CONSULTATION).first()
    section = TextSection.objects.create(step=consultation, position=1, title=f"Article {world.marker}", body="Texte")
    if section is not None:
        contribution = contribute(section, author=citizen, body=f"Contribution {world.marker}")
        argue(contribution, author=citizen, side="for", body=f"Argument {world.marker}")
    post = post_help(
        author=citizen, kind="offer", category="Transport", title=f"Entraide {world.marker}", body=world.marker,
        latitude=47.9, longitude=1.9,
    )  # fmt: skip
    aid_contact(post, asker=world.users["volunteer"], body=f"Bonjour {world.marker}", url_for=lambda c: "/")


def _collect(world):
    """Ids, slugs and signed links of everything, for the probes."""
    from django.apps import apps

    from crm.messaging.email import unsubscribe_token
    from crm.messaging.models import Message, Send
    from participation.citizens import confirmation_token
    from participation.models import Rsvp

    for model in apps.get_models():
        if model._meta.app_label in _TENANT_LABELS and model._meta.db_table in connection.introspection.table_names():
            world.ids[model._meta.label_lower] = sorted(model.objects.values_list("pk", flat=True))
    from participation.models import Event, NewsPost, Page, Project, Step
    from tests.verify.endpoints import api_queryset, operations

    for op in operations()[0]:
        if "{id}" in op.template:
            world.ids[f"api:{op.template}"] = sorted(api_queryset(op.template).values_list("pk", flat=True))
    for step in Step.objects.filter(project__slug__endswith=f"-{world.tag}").select_related("project"):
        world.steps.setdefault(step.kind, (step.project.slug, step.position))
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    world.secrets["media-path"] = default_storage.save(f"verify/logo-{world.tag}.png", ContentFile(b"\x89PNG\r\n"))

    for name, model in (("project", Project), ("event", Event), ("news", NewsPost), ("page", Page)):
        world.slugs[name] = list(model.objects.values_list("slug", flat=True))
    contact = world.users["citizen"]
    message = Message.objects.first()
    send = Send.objects.create(message=message, contact_id=world.ids["crm.contact"][0], to="x@example.org")
    world.ids["messaging.send"] = [send.pk]
    from campaigns import signing
    from participation.views import RSVP_SALT

    rsvp = Rsvp.objects.first()
    world.secrets.update(
        unsubscribe=unsubscribe_token(send.pk),
        confirm=confirmation_token(contact, consents=["email"]),
        rsvp=(rsvp.event.slug, signing.dumps(rsvp.pk, salt=RSVP_SALT)),
    )
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    world.secrets["reset-uid"] = urlsafe_base64_encode(force_bytes(contact.pk))
    world.secrets["reset-token"] = default_token_generator.make_token(contact)
    world.texts = [world.marker, world.marker.lower()]


_TENANT_LABELS = {
    "crm", "field", "messaging", "geocoding", "participation", "ideas", "surveys", "aid", "debate", "livemap",
    "accounts", "authtoken",
}  # fmt: skip
