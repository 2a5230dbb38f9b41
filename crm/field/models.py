from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.singletons import OneRowModel


class Zone(models.Model):
    class Kind(models.TextChoices):
        ZONE = "zone", _("Zone")
        POLLING_STATION = "polling_station", _("Bureau de vote")
        COMMUNE = "commune", _("Commune")
        CANTON = "canton", _("Canton")

    name = models.CharField(_("nom"), max_length=200)
    code = models.CharField(_("code"), max_length=50, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.ZONE)
    priority = models.PositiveSmallIntegerField(_("priorité"), null=True, blank=True, help_text=_("1 = la plus haute"))
    notes = models.TextField(_("notes"), blank=True)
    # Shown (name and outline only) on the campaign's public map.
    public = models.BooleanField(_("sur la carte publique"), default=False)
    geometry = models.MultiPolygonField(_("contour"), srid=4326)
    indicators = models.JSONField(_("indicateurs"), default=dict, blank=True)
    # Derived from the indicators and the campaign's weights (crm/field/targeting.py).
    score = models.FloatField(_("score de priorité"), null=True, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], condition=~models.Q(code=""), name="field_zone_code"),
            models.CheckConstraint(
                condition=models.Q(priority__isnull=True) | models.Q(priority__range=(1, 3)),
                name="field_zone_priority_1_3",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})" if self.code else self.name


class TargetingWeights(OneRowModel):
    """How much each indicator counts in the zones' priority score (one row)."""

    weights = models.JSONField(default=dict, blank=True, help_text='{"indicator": weight, ...}')
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pondération du ciblage")
        verbose_name_plural = _("pondération du ciblage")

    def __str__(self):
        return str(_("Pondération du ciblage"))


class Turf(models.Model):
    """A canvassing area: drawn by hand or cut from a zone (crm/field/turfs.py).
    Its doors are the addresses listed in `addresses`, so that a cut puts every
    building in exactly one turf even where two turfs touch."""

    name = models.CharField(_("nom"), max_length=200)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="turfs")
    geometry = models.MultiPolygonField(_("contour"), srid=4326)
    addresses = models.ManyToManyField("crm.Address", blank=True, related_name="turfs", verbose_name=_("adresses"))
    # Doors = households (at least one per building); kept for lists and maps.
    door_count = models.PositiveIntegerField(_("portes"), default=0)
    contact_count = models.PositiveIntegerField(_("contacts"), default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("secteur")
        verbose_name_plural = _("secteurs")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


def default_result_codes():
    return []


class Action(models.Model):
    """Something the campaign does in the field: a door-to-door round, a letterbox drop,
    street leafleting, a phone bank or an event."""

    class Kind(models.TextChoices):
        DOOR_TO_DOOR = "door", _("Porte-à-porte")
        LETTERBOX = "letterbox", _("Boîtage")
        LEAFLETING = "leafleting", _("Tractage")
        PHONE = "phone", _("Phoning")
        EVENT = "event", _("Événement")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    zones = models.ManyToManyField(Zone, blank=True, related_name="actions", verbose_name=_("zones"))
    segment = models.ForeignKey(
        "crm.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("segment")
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions",
        verbose_name=_("équipe"),
    )  # fmt: skip
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    objective = models.PositiveIntegerField(_("objectif"), null=True, blank=True,
                                            help_text=_("Portes, appels ou tracts selon le type"))  # fmt: skip
    script = models.TextField(_("argumentaire"), blank=True)
    # [{"id": "q1", "label": "...", "type": "yes_no|single|multiple|scale|text",
    #   "choices": [...], "updates": "support_level|consent_email|...|tag|volunteer"}]
    survey = models.JSONField(_("questionnaire"), default=list, blank=True)
    # [{"code": "talked", "label": "...", "reached": true}] (crm/field/actions.py has the defaults)
    result_codes = models.JSONField(_("résultats possibles"), default=default_result_codes, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="field_action_dates"),
        ]

    def __str__(self):
        return self.name

    def result_label(self, code):
        """What the team calls a result of this action ("Absent" for "not_home")."""
        from .actions import result_labels

        return result_labels(self.kind, self.result_codes).get(code, code)


class Assignment(models.Model):
    """Who works which turf (or which phone bank) of an action, and when. A volunteer's
    rights on contacts last exactly as long as their assignments run."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="assignments")
    turf = models.ForeignKey(Turf, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(volunteer__isnull=False) | models.Q(team__isnull=False),
                name="field_assignment_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="field_assignment_dates"
            ),
        ]

    def __str__(self):
        return f"{self.action} / {self.turf or '-'} / {self.volunteer or self.team}"


class FieldReport(models.Model):
    """One thing a volunteer logged: a door knocked, a call made, a building or street
    covered. `uuid` is made on the phone, so sending the same report again (after a
    dropped connection) stores nothing new."""

    uuid = models.UUIDField(unique=True)
    # No index of its own: field_report_progress (action, volunteer, done_at) serves
    # lookups by action, and every report stored updates one index less.
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="reports", db_index=False)
    turf = models.ForeignKey(Turf, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="field_reports"
    )
    address = models.ForeignKey("crm.Address", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    household = models.ForeignKey("crm.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey(
        "crm.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="field_reports"
    )
    result = models.CharField(_("résultat"), max_length=40)
    reached = models.BooleanField(_("personne rencontrée"), default=False)
    answers = models.JSONField(_("réponses"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Someone met at the door who was not on the walk list (crm/field/people.py): their
    # name and how to reach them until the report's effects apply; then only what became
    # of them ({"outcome": "created" | "matched" | "suppressed"}), the contact holding the rest.
    new_person = models.JSONField(_("nouvelle personne"), default=dict, blank=True, db_default={})
    leaflets = models.PositiveIntegerField(_("tracts"), default=0)
    # Where: the address's point, the phone's GPS, or a line/polygon drawn for a drop.
    location = models.PointField(_("position"), srid=4326, null=True, blank=True)
    location_source = models.CharField(max_length=10, blank=True)
    covered = models.GeometryField(_("parcours couvert"), srid=4326, null=True, blank=True)
    done_at = models.DateTimeField(_("fait le"))
    received_at = models.DateTimeField(auto_now_add=True)
    # The review queue (crm/field/review.py): reports wait in their volunteer's batch of
    # the day; what they change on contacts is applied when the batch is committed.
    batch = models.ForeignKey("ReviewBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    rejected_reason = models.CharField(_("motif du rejet"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("compte rendu de terrain")
        verbose_name_plural = _("comptes rendus de terrain")
        ordering = ["-done_at"]
        indexes = [models.Index(fields=["action", "volunteer", "done_at"], name="field_report_progress")]

    def __str__(self):
        return f"{self.action_id} {self.result} {self.done_at:%Y-%m-%d %H:%M}"

    @property
    def result_label(self):
        return self.action.result_label(self.result)


class CallListEntry(models.Model):
    """One person to call in a phone bank. A caller holds an entry under a lease that
    expires, so that two callers never get the same person and an abandoned call
    comes back to the list."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="call_list")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_until = models.DateTimeField(null=True, blank=True)
    done = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("appel à passer")
        verbose_name_plural = _("liste d'appels")
        constraints = [models.UniqueConstraint(fields=["action", "contact"], name="field_call_once_per_action")]
        indexes = [models.Index(fields=["action", "done", "lease_until"], name="field_call_next")]


class DoorLease(models.Model):
    """Distributed canvassing: a volunteer checks a door out for a while; nobody else
    can check it out until the lease ends (crm/field/doors.py)."""

    address = models.ForeignKey("crm.Address", on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("crm.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "household"], nulls_distinct=False, name="field_one_door_lease")
        ]

    def __str__(self):
        return f"{self.address_id}/{self.household_id} → {self.volunteer_id} until {self.until:%H:%M}"


class ReviewSettings(OneRowModel):
    """How the team reviews field reports (one row)."""

    delay_minutes = models.PositiveSmallIntegerField(
        _("validation automatique après (minutes)"), default=30,
        help_text=_("Un lot non revu est validé passé ce délai après son dernier compte rendu. 0 : pas de revue."),
    )  # fmt: skip
    min_seconds_between_doors = models.PositiveSmallIntegerField(_("écart minimal entre deux portes (s)"), default=30)
    max_gps_distance_m = models.PositiveIntegerField(_("distance maximale GPS / adresse (m)"), default=200)
    same_result_min = models.PositiveSmallIntegerField(
        _("même résultat partout : signaler à partir de (portes)"), default=5
    )

    class Meta:
        verbose_name = _("réglages de la revue")
        verbose_name_plural = _("réglages de la revue")

    def __str__(self):
        return str(_("Réglages de la revue"))


class ReviewBatch(models.Model):
    """One volunteer's reports of one day, reviewed together."""

    class Status(models.TextChoices):
        PENDING = "pending", _("À revoir")
        COMMITTED = "committed", _("Validé")
        ROLLED_BACK = "rolled_back", _("Annulé")

    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    day = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    last_report_at = models.DateTimeField()
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip
    automatic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("lot de comptes rendus")
        verbose_name_plural = _("lots de comptes rendus")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "day"], condition=models.Q(status="pending"), name="field_one_open_batch"
            )  # fmt: skip
        ]

    def __str__(self):
        return f"{self.volunteer_id} {self.day} ({self.status})"


class BatchChange(models.Model):
    """A contact field a committed batch changed, with its value before: what rolling
    the batch back restores."""

    batch = models.ForeignKey(ReviewBatch, on_delete=models.CASCADE, related_name="changes")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=40)
    old = models.JSONField(null=True)
    new = models.JSONField(null=True)

    def __str__(self):
        return f"{self.batch_id} {self.contact_id}.{self.field}"
