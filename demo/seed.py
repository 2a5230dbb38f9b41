"""Build the demo campaign: accounts for every role and a town's worth of people."""

import datetime as dt
import itertools
import random
import secrets
import uuid
from dataclasses import dataclass

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import tenant_context

from bench.synthetic import make_town
from campaigns.accounts.models import Role, Team, User
from campaigns.accounts.roles import assign_role
from campaigns.models import Campaign
from campaigns.provisioning import campaign_url, create_campaign, delete_campaign
from crm.field.actions import default_result_codes
from crm.field.forms import survey_from_text
from crm.field.models import Action, Assignment, FieldReport, ReviewBatch, Zone
from crm.field.reports import record_reports
from crm.field.review import commit as review_commit
from crm.field.turfs import cut_zone, walk_list_for
from crm.models import Address, Contact, Household, Segment, Tag
from crm.normalise import address_key, name_key, search_text
from participation.models import Event, NewsPost, SiteSettings
from participation.services import create_project

DEMO_SLUG = "demo"
DEMO_ACCOUNTS = [
    ("admin@demo.localhost", "Camille Admin", Role.ADMIN),
    ("organisatrice@demo.localhost", "Inès Organisatrice", Role.ORGANIZER),
    ("chef.equipe@demo.localhost", "Théo Chef d'équipe", Role.TEAM_LEADER),
    ("militant@demo.localhost", "Léa Militante", Role.VOLUNTEER),
    ("militant2@demo.localhost", "Noé Militant", Role.VOLUNTEER),
    ("citoyen@demo.localhost", "Françoise Citoyenne", Role.CITIZEN),
]


@dataclass
class DemoResult:
    campaign: Campaign
    url: str
    logins: list  # (email, role label, password)
    contacts: int


def seed_demo(*, people=5000, seed=2026, reset=False, password=None):
    """Create the demo campaign if missing (or again with reset) and (re)set its logins."""
    connection.set_schema_to_public()
    existing = Campaign.objects.filter(schema_name=DEMO_SLUG).first()
    if existing and reset:
        delete_campaign(existing, actor="seed_demo")
        existing = None
    if existing is None:
        create_campaign(
            slug=DEMO_SLUG,
            name="Villebourg en commun",
            preset="municipal-list",
            admin_email=DEMO_ACCOUNTS[0][0],
            actor="seed_demo",
        )
    campaign = Campaign.objects.get(schema_name=DEMO_SLUG)
    logins = []
    with tenant_context(campaign), transaction.atomic():
        for email, name, role in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first() or User(email=email)
            user.full_name = name
            pw = password or secrets.token_urlsafe(9)
            user.set_password(pw)
            user.save()
            assign_role(user, role)
            logins.append((email, role.label, pw))
        porte = Team.objects.filter(name="Porte-à-porte").first()
        if porte:
            porte.leaders.add(User.objects.get(email="chef.equipe@demo.localhost"))
            porte.members.add(*User.objects.filter(role=Role.VOLUNTEER))
        site = SiteSettings.current()
        site.intro = (
            "Villebourg en commun est une liste citoyenne pour les municipales. "
            "Proposez vos idées, rejoignez une équipe de terrain, suivez la campagne."
        )
        site.save()
        volunteers = [User.objects.get(email=email) for email, _name, role in DEMO_ACCOUNTS if role == Role.VOLUNTEER]
        fill_town(people=people, seed=seed, team=porte, volunteers=volunteers)
        for name, filters in DEMO_SEGMENTS:
            Segment.objects.get_or_create(name=name, defaults={"filters": filters})
        _walk_the_round(seed)
        count = Contact.objects.count()
    with tenant_context(campaign):
        _analyze_campaign_tables()
    return DemoResult(campaign, campaign_url(campaign), logins, count)


def _analyze_campaign_tables():
    """Gather the planner's statistics on the tables just filled, as autovacuum would
    a minute later when it is on (it is off on some test machines): a demo opened at
    once is served with plans made for its real size."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())
        cursor.execute(f"ANALYZE {tables}")


def fill_town(*, people, seed, team, volunteers):
    """In the current campaign, what is not there yet: a synthetic town's people and
    zones, a door-to-door round with `volunteers` on its turfs, news, events, ideas.
    The demo uses it, and so do the hardening checks (tests/verify/world.py)."""
    if not Contact.objects.exists():
        town = make_town(seed=seed, people=people)
        _load_town(town)
        _load_zones(town)
        _dress_people(seed)
    if not Action.objects.exists():
        _plan_field_work(team, volunteers)
    if not NewsPost.objects.exists():
        _fill_site()


def _fill_site():
    """News, events and a second project, so the public site has something to show."""
    now = timezone.now()
    centre = Zone.objects.filter(code="DEMO").values_list("geometry", flat=True).first()
    NewsPost.objects.create(
        title="Notre local de campagne ouvre ses portes", slug="local-de-campagne",
        summary="Tous les samedis matin, venez discuter du programme autour d'un café.",
        body="Le local est ouvert **tous les samedis de 9 h à 12 h**. Venez avec vos idées !",
        published_at=now - dt.timedelta(days=2),
    )  # fmt: skip
    NewsPost.objects.create(
        title="Trois semaines pour construire le programme", slug="trois-semaines",
        summary="La boîte à idées est ouverte : logement, transports, écoles…",
        body="Chaque idée sera lue par l'équipe. Les plus soutenues seront soumises au vote.",
        published_at=now - dt.timedelta(hours=5),
    )  # fmt: skip
    Event.objects.create(
        title="Réunion publique : le programme", slug="reunion-publique", place="Salle des fêtes de Villebourg",
        location=centre.centroid if centre else None, starts_at=_local(now, days=6, hour=20),
        capacity=80, description="Présentation des premières idées et débat.",
    )  # fmt: skip
    Event.objects.create(
        title="Porte-à-porte collectif", slug="porte-a-porte", place="Devant le local",
        starts_at=_local(now, days=3, hour=10), capacity=20,
    )  # fmt: skip
    create_project("questions-first", title="Vos questions sur la campagne")
    _fill_contributions(centre)


def _local(now, *, days, hour):
    """`days` from now at `hour` o'clock sharp, local time (events start on the hour)."""
    return (timezone.localtime(now) + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _fill_contributions(centre):
    """A few ideas and mutual-aid posts around the town centre, for the maps."""
    from participation.aid.services import post_help
    from participation.ideas.services import submit_proposal
    from participation.models import CitizenProfile, Project

    citizen = User.objects.filter(role=Role.CITIZEN).first()
    if citizen is None or centre is None:
        return
    CitizenProfile.objects.get_or_create(user=citizen, defaults={"email_confirmed_at": timezone.now()})
    # The programme started two days ago: its introduction is over and ideas are open,
    # so a visitor is pointed at the step where they can take part.
    programme = Project.objects.get(preset="programme")
    programme.steps.update(starts_at=F("starts_at") - dt.timedelta(days=2), ends_at=F("ends_at") - dt.timedelta(days=2))
    step = programme.steps.get(kind="collect")
    c = centre.centroid
    ideas = [("Une piste cyclable vers le collège", "Transports", 0.002, 0.001),
             ("Des jardins partagés derrière la mairie", "Écologie", -0.001, 0.002),
             ("Un marché le samedi matin", "Commerces et emploi", 0.0005, -0.002)]  # fmt: skip
    for title, theme, dx, dy in ideas:
        submit_proposal(step, author=citizen, title=title, body="Proposée pendant la démonstration.", theme=theme,
                        location=Point(c.x + dx, c.y + dy, srid=4326))  # fmt: skip
    post_help(author=citizen, kind="offer", category="Courses et médicaments", title="Je fais les courses du mardi",
              body="Pour les voisins qui ne peuvent pas se déplacer.", latitude=c.y + 0.001, longitude=c.x - 0.001,
              area_label="Centre")  # fmt: skip


def _load_zones(town):
    """The town's outline and its polling-station areas, as zones."""
    Zone.objects.create(
        kind=Zone.Kind.COMMUNE, code="DEMO", name=town.name, geometry=MultiPolygon(Polygon(town.outline), srid=4326)
    )
    for station in town.polling_stations:
        Zone.objects.create(
            kind=Zone.Kind.POLLING_STATION,
            code=station["code"],
            name=station["name"],
            geometry=MultiPolygon(Polygon(station["polygon"]), srid=4326),
            priority=1 + int(station["code"]) % 3,
        )


def _plan_field_work(team, volunteers):
    """A door-to-door round in the first polling station, cut into turfs, with each
    demo volunteer on a turf for the coming days, so /terrain/ has work to show."""
    station = Zone.objects.filter(kind=Zone.Kind.POLLING_STATION).order_by("code").first()
    if station is None:
        return
    today = timezone.localdate()
    action = Action.objects.create(
        name="Porte-à-porte de quartier", kind=Action.Kind.DOOR_TO_DOOR, team=team,
        starts_on=today - dt.timedelta(days=2), ends_on=today + dt.timedelta(days=18), objective=500,
        script="Bonjour, je suis bénévole pour Villebourg en commun. Avez-vous deux minutes "
               "pour parler de ce qui compte pour vous dans le quartier ?",
        survey=survey_from_text("Soutien | échelle | | soutien\n"
                                "Sujet principal | choix | Logement / Transports / Écoles / Sécurité | étiquette\n"
                                "Souhaite recevoir nos SMS | oui/non | | accord SMS\n"
                                "Veut s'engager | oui/non | | bénévole"),
        result_codes=default_result_codes(Action.Kind.DOOR_TO_DOOR),
    )  # fmt: skip
    action.zones.add(station)
    turfs = cut_zone(station, doors_per_turf=60)
    start = _local(timezone.now(), days=-2, hour=8)  # the round began two days ago
    for i, volunteer in enumerate(volunteers):
        Assignment.objects.create(action=action, turf=turfs[i % len(turfs)], volunteer=volunteer, starts_at=start,
                                  ends_at=start + dt.timedelta(days=20))  # fmt: skip


def _walk_the_round(seed):
    """The door-to-door round's first days as the volunteers' phones would have sent
    them: a morning round on each of the last two days (reviewed and applied), and
    the last hour's doors waiting in the review queue. The live map, the dashboard, the
    review queue and the action's leaderboard then have something to show."""
    rng = random.Random(seed)  # noqa: S311 - a demo town, the same for a seed
    now = timezone.now()
    midnight = _local(now, days=0, hour=0)
    action = Action.objects.filter(kind=Action.Kind.DOOR_TO_DOOR).order_by("pk").first()
    if action is None or FieldReport.objects.exists():
        return
    subjects = next(q["choices"] for q in action.survey if q["id"] == "q2")
    results, weights = zip(*DEMO_DOOR_RESULTS, strict=True)
    with_phone = set(Contact.objects.exclude(phone="").values_list("pk", flat=True))
    for assignment in action.assignments.select_related("turf", "volunteer").order_by("pk"):
        walk = walk_list_for(assignment.turf, action=action)
        doors = iter([(b, d) for street in walk["streets"] for b in street["buildings"] for d in b["doors"]])
        for days_ago, count in ((2, 16), (1, 20), (0, 12)):  # of a turf of about 60 doors
            # Mornings on the past days; today, the hour just gone (still under review).
            at = _local(now, days=-days_ago, hour=10) if days_ago else max(now - dt.timedelta(minutes=75), midnight)
            items = []
            for building, door in itertools.islice(doors, count):
                at += dt.timedelta(seconds=rng.randint(120, 420))
                if at > now:
                    break
                result = rng.choices(results, weights)[0]
                person = door["people"][0]["id"] if door["people"] else None
                answers = {}
                if result == "talked" and person:
                    answers = {"q1": rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5]), "q2": rng.choice(subjects),
                               "q4": rng.random() < 0.08}  # fmt: skip
                    if person in with_phone:  # SMS asked of those whose number the campaign has
                        answers["q3"] = rng.random() < 0.3
                notes = rng.choice(DEMO_NOTES[result]) if result in DEMO_NOTES and rng.random() < 0.2 else ""
                new_person = {}
                if result == "talked" and rng.random() < 0.06:  # someone not on the walk list
                    first, last, phone, email, consents = rng.choice(DEMO_NEW_PEOPLE)
                    new_person = {"first_names": first, "last_name": last, "phone": phone, "email": email,
                                  "consents": consents}  # fmt: skip
                    person, answers = None, {"q1": rng.choice([3, 4, 5]), "q2": rng.choice(subjects)}
                items.append({
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "action": action.pk,
                    "turf": assignment.turf_id, "address": building["address"], "household": door["household"],
                    "contact": person, "result": result, "answers": answers, "leaflets": 1,
                    "done_at": at.isoformat(), "notes": notes, "new_person": new_person,
                })  # fmt: skip
            if items:
                record_reports(assignment.volunteer, items, now=min(now, at + dt.timedelta(minutes=5)))
    # The team looked at the past days' batches; today's waits for them.
    for batch in ReviewBatch.objects.filter(status=ReviewBatch.Status.PENDING, day__lt=timezone.localdate(now)):
        review_commit(batch, automatic=True, now=now)


# What volunteers write down at some doors.
DEMO_NOTES = {
    "talked": ["Veut une affiche pour sa fenêtre.", "Inquiète pour la fermeture de la classe de CM2.",
               "Propose d'aider à tracter le samedi matin.", "Demande où voter : bureau de l'école Jean-Zay.",
               "Trouve que la rue manque d'éclairage le soir."],
    "come_back": ["Revenir après 18 h.", "Rappeler le week-end, travaille en horaires décalés."],
    "no_access": ["Digicode, passer par la gardienne."],
}  # fmt: skip

# People met at doors who were not on the walk list: (first name, name, phone, e-mail,
# what they agreed to receive).
DEMO_NEW_PEOPLE = [
    ("Inès", "Bouchard", "06 71 23 45 67", "", ["sms"]),
    ("Théo", "Marchand", "", "theo.marchand@exemple.fr", ["email"]),
    ("Chloé", "Roussel", "07 81 22 33 44", "chloe.roussel@exemple.fr", ["sms", "email"]),
    ("Yanis", "Benali", "", "", []),
]

# Door results of a morning round in town, and how often each comes up.
DEMO_DOOR_RESULTS = [("not_home", 40), ("talked", 35), ("refused", 10), ("come_back", 10), ("moved", 3),
                     ("no_access", 2)]  # fmt: skip


# Saved searches a team would have drawn up, ready for a message or a phone bank.
DEMO_SEGMENTS = [
    ("Sympathisants joignables par SMS", {"tags": ["sympathisant"], "consent": {"sms": True}}),
    ("Bureau 1, accord e-mail", {"polling_stations": ["0001"], "consent": {"email": True}}),
    ("Soutiens forts jamais contactés", {"support_min": 4, "never_contacted": True}),
]
# What a campaign knows of its people a few weeks in: (tag, share of the town).
DEMO_TAGS = [("sympathisant", 0.15), ("bénévole", 0.03), ("procuration", 0.01), ("ne pas appeler", 0.02)]


def _dress_people(seed):
    """Consents (each with its log line), tags and support levels, the same for a seed:
    without them the demo's segments, SMS and e-mails would reach nobody."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        # One draw per person, read in id order, so that the same seed gives the same town.
        cursor.execute(
            """UPDATE crm_contact c SET
                   consent_email = CASE WHEN c.email = '' THEN NULL WHEN d.r < 0.45 THEN true
                                        WHEN d.r > 0.95 THEN false END,
                   consent_sms = CASE WHEN c.phone = '' THEN NULL WHEN d.r < 0.35 THEN true
                                      WHEN d.r > 0.97 THEN false END,
                   consent_door = CASE WHEN d.r < 0.20 THEN true END,
                   support_level = CASE WHEN d.s < 0.25 THEN 1 + floor(d.s * 20)::int END
                 FROM (SELECT id, random() AS r, random() AS s FROM crm_contact ORDER BY id) d
                WHERE d.id = c.id"""
        )
        for channel in ("email", "sms", "door"):
            cursor.execute(
                f"""INSERT INTO crm_consentevent (contact_id, channel, granted, at, source, reason)
                    SELECT id, %s, consent_{channel}, now(), 'démo : liste électorale synthétique', ''
                      FROM crm_contact WHERE consent_{channel} IS NOT NULL ORDER BY id""",  # noqa: S608
                [channel],
            )
        for name, share in DEMO_TAGS:
            tag, _created = Tag.objects.get_or_create(name=name)
            cursor.execute(
                """INSERT INTO crm_contact_tags (contact_id, tag_id)
                   SELECT id, %s FROM (SELECT id, random() AS r FROM crm_contact ORDER BY id) d WHERE d.r < %s""",
                [tag.pk, share],
            )


def _load_town(town):
    buildings = town.buildings
    addresses = Address.objects.bulk_create(
        [
            Address(
                line1=b.line1,
                postal_code=town.postal_code,
                city=town.name,
                key=address_key(b.line1, town.postal_code, town.name),
                point=Point(b.lon, b.lat, srid=4326),
                polling_station_code=b.polling_station,
            )
            for b in buildings
        ],
        batch_size=2000,
    )
    household_rows = [
        (Household(address=address, label=h["label"]), h["people"])
        for address, b in zip(addresses, buildings, strict=True)
        for h in b.households
    ]
    households = Household.objects.bulk_create([h for h, _ in household_rows], batch_size=2000)
    # bulk_create skips Contact.save(): derive the matching and search keys here.
    Contact.objects.bulk_create(
        [
            Contact(
                household=household,
                source="démo : liste électorale synthétique",
                name_key=name_key(person["birth_name"], person["first_names"]),
                search_text=search_text(
                    person["first_names"], person["birth_name"], person["usage_name"], person["email"]
                ),
                **person,
            )
            for household, (_, people) in zip(households, household_rows, strict=True)
            for person in people
        ],
        batch_size=2000,
    )
