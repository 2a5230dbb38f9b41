from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from campaigns.accounts.models import AuditEntry
from campaigns.realtime import publish_after_commit
from crm.api import HasPerm

from .models import TargetingWeights, Zone
from .targeting import BadIndicators, import_indicators, set_weights
from .zones import BadZoneFile, as_multipolygon, import_zones


class ZoneSerializer(GeoFeatureModelSerializer):
    def validate_geometry(self, geometry):
        """Accept a drawn Polygon (stored as a MultiPolygon); repair a self-crossing one."""
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationError(_("Un polygone est attendu."))
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
        fields = ["id", "name", "code", "kind", "priority", "notes", "indicators", "score"]
        read_only_fields = ["id", "indicators", "score"]


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
    parser_classes = [JSONParser, MultiPartParser]
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
            result = import_zones(upload.read(), actor=request.user)
        except BadZoneFile as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(result.__dict__)

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
            count = import_indicators(upload.read(), key_field=request.data.get("key_field", "code"),
                                      actor=request.user)  # fmt: skip
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
