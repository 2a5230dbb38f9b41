from django.contrib.gis.db.models import Extent
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from campaigns.accounts.models import AuditEntry
from campaigns.http import NulRefusingJSONParser
from campaigns.realtime import publish_after_commit
from crm.api import HasPerm
from crm.contacting import is_recent
from crm.models import Address, Household
from crm.phones import campaign_region, readable

from . import doors
from .actions import BadSurvey, assignment_problems, clean_result_codes, clean_survey
from .calls import build_call_list, next_call
from .models import Action, Assignment, FieldReport, TargetingWeights, Turf, Zone
from .printable import turf_pdf
from .reports import MAX_BATCH, assignments_of, record_reports
from .targeting import BadIndicators, import_indicators, read_indicator_file, set_weights
from .tracking import progress_of
from .turfs import CannotCut, cut_zone, save_drawn_turf, walk_list_for
from .zones import BadZoneFile, as_multipolygon, import_zones, off_the_globe, read_zone_file


class FeatureInput:
    """GeoJSON Feature input that is not an object gets a 400, not the library's crash."""

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("properties", {}), dict):
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [_("Un objet GeoJSON « Feature » est attendu.")]})
        return super().to_internal_value(data)


class ZoneSerializer(FeatureInput, GeoFeatureModelSerializer):
    def validate_geometry(self, geometry):
        """Accept a drawn Polygon (stored as a MultiPolygon); repair a self-crossing one."""
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationError(_("Un polygone est attendu."))
        if off_the_globe(geometry):
            raise ValidationError(_("Coordonnées hors du globe : longitude et latitude en WGS 84 attendues."))
        geometry, _repaired = as_multipolygon(geometry)
        if geometry is None:
            raise ValidationError(_("Ce polygone se recoupe et ne peut pas être réparé."))
        return geometry

    def validate_priority(self, value):
        if value is not None and not 1 <= value <= 3:
            raise ValidationError(_("Priorité de 1 à 3."))
        return value

    class Meta:
        model = Zone
        geo_field = "geometry"
        # The id stays among the properties: drf-spectacular's GeoJSON extension cannot
        # build the request schema (where the id is read-only) with a top-level id.
        id_field = False
        fields = ["id", "name", "code", "kind", "priority", "notes", "public", "indicators", "score"]
        read_only_fields = ["id", "indicators", "score"]


class TurfSerializer(FeatureInput, GeoFeatureModelSerializer):
    def validate_geometry(self, geometry):
        return ZoneSerializer.validate_geometry(self, geometry)

    class Meta:
        model = Turf
        geo_field = "geometry"
        id_field = False
        fields = ["id", "name", "zone", "door_count", "contact_count"]
        read_only_fields = ["id", "door_count", "contact_count"]


class ZonePermission(HasPerm):
    """The team reads zones (the map); organizers and admins change them."""

    read_perm = "live.follow"
    write_perm = "campaign.manage_team"


class ZoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Zones as GeoJSON, ranked by priority score; `?in_bbox=minlon,minlat,maxlon,maxlat` for a map view."""

    serializer_class = ZoneSerializer
    permission_classes = [permissions.IsAuthenticated, ZonePermission]
    parser_classes = [NulRefusingJSONParser, MultiPartParser]
    filter_backends = [InBBoxFilter]
    bbox_filter_field = "geometry"
    bbox_filter_include_overlapping = True
    pagination_class = None
    queryset = Zone.objects.order_by("-score", "priority", "name")

    def perform_create(self, serializer):
        zone = serializer.save()
        AuditEntry.objects.create(
            actor=self.request.user, action="zone.drawn", target_type="zone", target_id=str(zone.pk)
        )
        publish_after_commit("zone.changed", {"id": zone.pk})

    def perform_update(self, serializer):
        zone = serializer.save()
        publish_after_commit("zone.changed", {"id": zone.pk})

    def perform_destroy(self, zone):
        pk = zone.pk
        zone.delete()
        AuditEntry.objects.create(actor=self.request.user, action="zone.deleted", target_type="zone", target_id=str(pk))
        publish_after_commit("zone.changed", {"id": pk})

    @extend_schema(
        request={"multipart/form-data": inline_serializer("ZoneUpload", {"file": serializers.FileField()})},
        responses=inline_serializer(
            "ZoneImportResult",
            {"created": serializers.IntegerField(), "updated": serializers.IntegerField(),
             "warnings": serializers.ListField(), "refused": serializers.ListField()},
        ),
    )  # fmt: skip
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request):
        """Import a GeoJSON file of polygons."""
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Joignez un fichier GeoJSON.")]})
        try:
            result = import_zones(read_zone_file(upload), actor=request.user)
        except BadZoneFile as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(result.__dict__)

    @extend_schema(
        request=inline_serializer("CutRequest", {"doors_per_turf": serializers.IntegerField()}),
        responses=TurfSerializer(many=True),
    )
    @action(detail=True, methods=["post"])
    def cut(self, request, pk=None):
        """Replace the zone's turfs by turfs of about `doors_per_turf` doors each."""
        try:
            turfs = cut_zone(self.get_object(), doors_per_turf=request.data.get("doors_per_turf"), actor=request.user)
        except CannotCut as exc:
            raise ValidationError({"doors_per_turf": [str(exc)]}) from None
        publish_after_commit("turfs.changed", {"zone": int(pk)})
        return Response(TurfSerializer(turfs, many=True).data, status=201)

    @extend_schema(
        request={"multipart/form-data": inline_serializer("IndicatorUpload", {"file": serializers.FileField()})},
        responses=inline_serializer("IndicatorResult", {"zones": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"])
    def indicators(self, request):
        """Attach numbers to zones from a CSV keyed by zone code; scores are recomputed."""
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Joignez un fichier CSV.")]})
        try:
            raw = read_indicator_file(upload)
            count = import_indicators(raw, key_field=request.data.get("key_field", "code"), actor=request.user)
        except BadIndicators as exc:
            raise ValidationError({"file": exc.problems}) from None
        return Response({"zones": count})

    @extend_schema(
        request=inline_serializer("Weights", {"weights": serializers.DictField(child=serializers.FloatField())}),
        responses=inline_serializer("WeightsOut", {"weights": serializers.DictField(child=serializers.FloatField())}),
    )
    @action(detail=False, methods=["get", "put"])
    def weights(self, request):
        """The weight of each indicator in the priority score (see crm/field/targeting.py)."""
        if request.method == "PUT":
            try:
                set_weights(request.data.get("weights"), actor=request.user)
            except BadIndicators as exc:
                raise ValidationError({"weights": exc.problems}) from None
        return Response({"weights": TargetingWeights.current().weights})


class ReportPermission(HasPerm):
    read_perm = write_perm = "field.report"


class TrackPermission(HasPerm):
    read_perm = write_perm = "field.track"


class PlanOrRead(HasPerm):
    """The team reads plans; organizers and admins make them."""

    read_perm = "field.report"
    write_perm = "field.plan"


class AssignedOnlyMixin:
    """Team leaders and planners see everything; others only what they are assigned to."""

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.user.has_perm("field.track"):
            return qs
        return qs.filter(assignments__in=assignments_of(self.request.user)).distinct()


class TurfViewSet(AssignedOnlyMixin, viewsets.ModelViewSet):
    """Turfs as GeoJSON (`?zone=ID`, `?in_bbox=...`). Drawn turfs hold the buildings they cover."""

    serializer_class = TurfSerializer
    permission_classes = [permissions.IsAuthenticated, PlanOrRead]
    filter_backends = [InBBoxFilter, DjangoFilterBackend]
    filterset_fields = ["zone"]
    bbox_filter_field = "geometry"
    bbox_filter_include_overlapping = True
    pagination_class = None
    queryset = Turf.objects.order_by("name", "id")

    def perform_create(self, serializer):
        save_drawn_turf(serializer.save())

    def perform_update(self, serializer):
        save_drawn_turf(serializer.save())


class ActionSerializer(serializers.ModelSerializer):
    def validate_survey(self, survey):
        try:
            return clean_survey(survey)
        except BadSurvey as exc:
            raise ValidationError(exc.problems) from None

    def validate(self, attrs):
        kind = attrs.get("kind") or getattr(self.instance, "kind", None)
        codes = attrs.get("result_codes", getattr(self.instance, "result_codes", None))
        try:
            attrs["result_codes"] = clean_result_codes(codes, kind)
        except BadSurvey as exc:
            raise ValidationError({"result_codes": exc.problems}) from None
        starts, ends = (
            attrs.get("starts_on", getattr(self.instance, "starts_on", None)),
            attrs.get("ends_on", getattr(self.instance, "ends_on", None)),
        )
        if starts and ends and ends < starts:
            raise ValidationError({"ends_on": [_("La fin est avant le début.")]})
        return attrs

    class Meta:
        model = Action
        fields = ["id", "name", "kind", "zones", "segment", "team", "starts_on", "ends_on", "objective",
                  "script", "survey", "result_codes"]  # fmt: skip


class ActionViewSet(AssignedOnlyMixin, viewsets.ModelViewSet):
    """Field actions with their script, survey and result codes. A phone bank's call
    list is built from its segment when it is saved."""

    serializer_class = ActionSerializer
    permission_classes = [permissions.IsAuthenticated, PlanOrRead]
    queryset = Action.objects.order_by("-starts_on", "name")

    def perform_create(self, serializer):
        action = serializer.save(created_by=self.request.user)
        AuditEntry.objects.create(actor=self.request.user, action="action.created", target_type="action",
                                  target_id=str(action.pk))  # fmt: skip
        if action.kind == Action.Kind.PHONE:
            build_call_list(action)

    def perform_update(self, serializer):
        action = serializer.save()
        if action.kind == Action.Kind.PHONE:
            build_call_list(action)

    @extend_schema(responses=inline_serializer("Progress", {"objective": serializers.IntegerField(),
                                                            "volunteers": serializers.ListField()}))  # fmt: skip
    @action(detail=True, permission_classes=[permissions.IsAuthenticated, TrackPermission])
    def progress(self, request, pk=None):
        """Doors knocked, people reached and results per volunteer and team; leaderboard."""
        return Response(progress_of(self.get_object(), viewer=request.user))

    @extend_schema(request=None, responses=inline_serializer(
        "NextCall", {"entry": serializers.IntegerField(), "contact": serializers.DictField(),
                     "lease_until": serializers.DateTimeField()}))  # fmt: skip
    @action(detail=True, methods=["post"], url_path="next-call",
            permission_classes=[permissions.IsAuthenticated, ReportPermission])  # fmt: skip
    def next_call(self, request, pk=None):
        """The next person to call for this phone bank, held for you only (204 when the list is done)."""
        action_obj = self.get_object()
        if action_obj.kind != Action.Kind.PHONE:
            raise ValidationError({"action": [_("Cette action n'est pas un phoning.")]})
        now = timezone.now()
        if (
            not request.user.has_perm("field.plan")
            and not assignments_of(request.user)
            .filter(action=action_obj, starts_at__lte=now, ends_at__gte=now)
            .exists()
        ):
            raise PermissionDenied(_("Vous n'êtes pas affecté(e) à ce phoning en ce moment."))
        entry = next_call(action_obj, request.user, now=now)
        if entry is None:
            return Response(status=204)
        c = entry.contact
        return Response({
            "entry": entry.pk, "lease_until": entry.lease_until,
            "contact": {"id": c.pk, "first_names": c.first_names, "last_name": c.last_name, "phone": c.phone,
                        "phone_display": readable(c.phone, campaign_region())},
        })  # fmt: skip


class AssignmentSerializer(serializers.ModelSerializer):
    action_detail = ActionSerializer(source="action", read_only=True)
    turf_name = serializers.CharField(source="turf.name", read_only=True, default=None)
    door_count = serializers.IntegerField(source="turf.door_count", read_only=True, default=None)
    extent = serializers.SerializerMethodField(help_text="[min lon, min lat, max lon, max lat] of the turf or zones")

    def get_extent(self, assignment) -> list[float] | None:
        if assignment.turf_id:
            return list(assignment.turf.geometry.extent)
        extent = assignment.action.zones.aggregate(e=Extent("geometry"))["e"]
        return list(extent) if extent else None

    def validate(self, attrs):
        # A partial update (PATCH) checks the assignment as it will be once saved.
        merged = (
            {
                name: getattr(self.instance, name)
                for name in ("action", "turf", "volunteer", "team", "starts_at", "ends_at")
            }
            if self.instance
            else {}
        )
        merged.update(attrs)
        missing = [name for name in ("action", "starts_at", "ends_at") if merged.get(name) is None]
        if missing:
            raise ValidationError(dict.fromkeys(missing, [_("Ce champ est obligatoire.")]))
        problems = assignment_problems(
            merged["action"], turf=merged.get("turf"), volunteer=merged.get("volunteer"), team=merged.get("team"),
            starts_at=merged["starts_at"], ends_at=merged["ends_at"],
        )  # fmt: skip
        errors = {}
        for field, message in problems:
            errors.setdefault(field or api_settings.NON_FIELD_ERRORS_KEY, []).append(message)
        if errors:
            raise ValidationError(errors)
        return attrs

    class Meta:
        model = Assignment
        fields = ["id", "action", "turf", "volunteer", "team", "starts_at", "ends_at",
                  "action_detail", "turf_name", "door_count", "extent"]  # fmt: skip


class AssignmentViewSet(viewsets.ModelViewSet):
    """Who works which turf of which action, when. Volunteers see their own (`?current=1`
    for those running now); organizers see and make all of them."""

    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated, PlanOrRead]
    pagination_class = None
    queryset = Assignment.objects.select_related("action", "turf").order_by("starts_at")

    def get_queryset(self):
        qs = super().get_queryset()
        if not self.request.user.has_perm("field.plan"):
            qs = qs.filter(pk__in=assignments_of(self.request.user).values("pk"))
        if self.request.query_params.get("current"):
            now = timezone.now()
            qs = qs.filter(starts_at__lte=now, ends_at__gte=now)
        return qs

    def perform_create(self, serializer):
        assignment = serializer.save()
        AuditEntry.objects.create(actor=self.request.user, action="assignment.created", target_type="assignment",
                                  target_id=str(assignment.pk))  # fmt: skip

    @extend_schema(responses=inline_serializer("WalkList", {"turf": serializers.IntegerField(),
                                                            "streets": serializers.ListField()}))  # fmt: skip
    @action(detail=True, url_path="walk-list", permission_classes=[permissions.IsAuthenticated, ReportPermission])
    def walk_list(self, request, pk=None):
        """The turf's doors in walking order with the people to visit: only while the
        assignment runs, and sensitive fields only for roles that may see them."""
        assignment = self.get_object()
        now = timezone.now()
        planner = request.user.has_perm("field.plan")
        if not planner and not assignment.starts_at <= now <= assignment.ends_at:
            raise PermissionDenied(_("Cette affectation n'est pas en cours."))
        if assignment.turf is None:
            raise ValidationError({"turf": [_("Cette affectation n'a pas de secteur.")]})
        sensitive = request.user.has_perm("crm.see_sensitive")
        if sensitive:
            AuditEntry.objects.create(actor=request.user, action="contacts.sensitive_read", target_type="turf",
                                      target_id=str(assignment.turf_id))  # fmt: skip
        data = walk_list_for(assignment.turf, action=assignment.action, include_sensitive=sensitive)
        return Response(data)

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, url_path="printable", permission_classes=[permissions.IsAuthenticated, ReportPermission])
    def printable(self, request, pk=None):
        """The turf on paper (PDF): its map with buildings numbered in walking order, and the walk list."""
        assignment = self.get_object()
        if not request.user.has_perm("field.plan") and not assignment.starts_at <= timezone.now() <= assignment.ends_at:
            raise PermissionDenied(_("Cette affectation n'est pas en cours."))
        if assignment.turf is None:
            raise ValidationError({"turf": [_("Cette affectation n'a pas de secteur.")]})
        response = HttpResponse(turf_pdf(assignment.turf, assignment.action), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="secteur-{assignment.turf_id}.pdf"'
        return response


class ReportView(APIView):
    """Field reports from the phone: one report, or `{"reports": [...]}` (up to 500)
    after working offline. Each has a client-made `uuid`; sending it again stores
    nothing new and answers what was stored (200). A single report answers 201, 200,
    400 or 403; a batch answers 200 with one status per report."""

    permission_classes = [permissions.IsAuthenticated, ReportPermission]
    # Not the API's NUL-refusing parser: one bad report of a phone's batch would refuse
    # the whole batch, which the phone sends again and again. Each report is checked on
    # its own (reports._parse, which drops NUL from notes, and clean_answers).
    parser_classes = [JSONParser]

    @extend_schema(request=inline_serializer("FieldReportIn", {
        "uuid": serializers.UUIDField(), "action": serializers.IntegerField(),
        "turf": serializers.IntegerField(required=False), "address": serializers.IntegerField(required=False),
        "household": serializers.IntegerField(required=False), "contact": serializers.IntegerField(required=False),
        "result": serializers.CharField(), "answers": serializers.DictField(required=False),
        "notes": serializers.CharField(required=False), "leaflets": serializers.IntegerField(required=False),
        "done_at": serializers.DateTimeField(), "location": serializers.DictField(required=False),
        "covered": serializers.DictField(required=False),
        # Someone met at the door who is not on the walk list (crm/field/people.py).
        "new_person": inline_serializer("NewPersonIn", {
            "first_names": serializers.CharField(required=False), "last_name": serializers.CharField(required=False),
            "phone": serializers.CharField(required=False), "email": serializers.EmailField(required=False),
            "consents": serializers.ListField(child=serializers.ChoiceField(["email", "sms", "phone"]), required=False),
        }, required=False),
    }), responses=inline_serializer("FieldReportOut", {
        "uuid": serializers.UUIDField(), "status": serializers.IntegerField(), "detail": serializers.CharField(),
        "report": serializers.DictField(required=False),
    }))  # fmt: skip
    def post(self, request):
        data = request.data
        if isinstance(data, dict) and "reports" in data:
            items = data["reports"]
            if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
                raise ValidationError({"reports": [_("Une liste de 1 à %(n)d comptes rendus.") % {"n": MAX_BATCH}]})
            outcomes = record_reports(request.user, items)
            return Response({"results": [o.as_dict() for o in outcomes]})
        outcome = record_reports(request.user, [data])[0]
        return Response(outcome.as_dict(), status=outcome.status)


class TodayView(APIView):
    """What I logged today: counts by result, and my latest reports."""

    permission_classes = [permissions.IsAuthenticated, ReportPermission]

    @extend_schema(responses=inline_serializer("Today", {"total": serializers.IntegerField(),
                                                         "by_result": serializers.DictField()}))  # fmt: skip
    def get(self, request):
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        reports = FieldReport.objects.filter(volunteer=request.user, done_at__gte=start)
        by_result = dict(reports.values_list("result").annotate(n=Count("id")).order_by())
        return Response({"total": sum(by_result.values()), "by_result": by_result,
                         "reached": reports.filter(reached=True).count()})  # fmt: skip


class DoorView(APIView):
    """Distributed canvassing: POST {"address", "household"?, "minutes"?} to check a door
    out (409 while another volunteer holds it); DELETE with the same body to release it."""

    permission_classes = [permissions.IsAuthenticated, ReportPermission]

    def _door(self, request):
        try:
            address = int(request.data.get("address"))
            household = request.data.get("household")
            household = int(household) if household not in (None, "") else None
            minutes = int(request.data.get("minutes") or doors.LEASE_MINUTES)
        except (TypeError, ValueError):
            raise ValidationError({"address": [_("Indiquez l'adresse (et le foyer) par leur identifiant.")]}) from None
        if not 1 <= minutes <= 240:
            raise ValidationError({"minutes": [_("De 1 à 240 minutes.")]})
        if not Address.objects.filter(pk=address).exists() or (
            household and not Household.objects.filter(pk=household, address_id=address).exists()
        ):
            raise ValidationError({"address": [_("Adresse ou foyer inconnu.")]})
        return address, household, minutes

    @extend_schema(request=inline_serializer("DoorIn", {"address": serializers.IntegerField(),
                                                        "household": serializers.IntegerField(required=False),
                                                        "minutes": serializers.IntegerField(required=False)}),
                   responses={200: dict, 409: dict})  # fmt: skip
    def post(self, request):
        address, household, minutes = self._door(request)
        try:
            lease = doors.checkout(address_id=address, household_id=household, volunteer=request.user,
                                   minutes=minutes)  # fmt: skip
        except doors.DoorTaken as exc:
            return Response({"detail": str(exc), "until": exc.until.isoformat()}, status=409)
        return Response({"address": address, "household": household, "until": lease.until.isoformat(),
                         "recently_contacted": is_recent(household_id=household)})  # fmt: skip

    @extend_schema(responses={204: None})
    def delete(self, request):
        address, household, _minutes = self._door(request)
        doors.release(address_id=address, household_id=household, volunteer=request.user)
        return Response(status=204)
