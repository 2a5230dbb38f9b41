from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import HasPerm

from .layers import (
    BadViewport,
    areas_layer,
    contributions_layer,
    parse_filters,
    parse_viewport,
    public_zones_layer,
    reports_layer,
    reports_since,
    volunteer_positions,
)

VIEWPORT = [
    OpenApiParameter("bbox", str, description="minlon,minlat,maxlon,maxlat (WGS 84)", required=True),
    OpenApiParameter("zoom", int, description="map zoom (0–22)"),
]
FILTERS = [OpenApiParameter(n, str) for n in ("action", "kind", "team", "volunteer", "result", "since", "until")]


# What the layers answer: GeoJSON, under its own media type.
GEOJSON = {(200, "application/geo+json"): dict}


def geojson(body):
    return HttpResponse(body, content_type="application/geo+json")


class FollowPermission(HasPerm):
    read_perm = write_perm = "live.follow"


class LayerView(APIView):
    permission_classes = [permissions.IsAuthenticated, FollowPermission]

    def viewport(self, request):
        try:
            return parse_viewport(request.query_params)
        except BadViewport as exc:
            raise ValidationError({"bbox": [str(exc)]}) from None


class ReportsLayerView(LayerView):
    """Field reports in the viewport: points from zoom 15, counted grid cells below."""

    @extend_schema(parameters=VIEWPORT + FILTERS, responses=GEOJSON)
    def get(self, request):
        box, zoom = self.viewport(request)
        try:
            filters = parse_filters(request.query_params)
        except BadViewport as exc:
            raise ValidationError({"filters": [str(exc)]}) from None
        return geojson(reports_layer(box, zoom, filters))


class ZonesLayerView(LayerView):
    """Zones in the viewport with priority, coverage and (for roles that may see opinions) support."""

    @extend_schema(parameters=VIEWPORT, responses=GEOJSON)
    def get(self, request):
        box, zoom = self.viewport(request)
        return geojson(areas_layer("zone", box, zoom, with_support=request.user.has_perm("crm.see_sensitive")))


class TurfsLayerView(LayerView):
    """Turfs in the viewport with doors, doors visited and (for some roles) support."""

    @extend_schema(parameters=VIEWPORT, responses=GEOJSON)
    def get(self, request):
        box, zoom = self.viewport(request)
        return geojson(areas_layer("turf", box, zoom, with_support=request.user.has_perm("crm.see_sensitive")))


class ContributionsLayerView(LayerView):
    """Citizens' geolocated contributions (idea box proposals) in the viewport; hidden
    or held ones never."""

    @extend_schema(parameters=VIEWPORT, responses=GEOJSON)
    def get(self, request):
        box, _zoom = self.viewport(request)
        return geojson(contributions_layer(box))


class PublicContributionsView(LayerView):
    """The public map's data: contributions of public projects only, no personal data."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(parameters=VIEWPORT, responses=GEOJSON)
    def get(self, request):
        box, _zoom = self.viewport(request)
        return geojson(contributions_layer(box, public_only=True))


class PublicZonesView(PublicContributionsView):
    """The public map's zones: those the team marked public, name and outline only."""

    @extend_schema(parameters=VIEWPORT, responses=GEOJSON)
    def get(self, request):
        box, zoom = self.viewport(request)
        return geojson(public_zones_layer(box, zoom))


class TrackPermission(HasPerm):
    read_perm = write_perm = "field.track"


class VolunteersLayerView(APIView):
    """Volunteers' last shared GPS positions during running assignments (team leaders and organizers)."""

    permission_classes = [permissions.IsAuthenticated, TrackPermission]

    @extend_schema(responses=GEOJSON)
    def get(self, request):
        return geojson(volunteer_positions(request.user, now=timezone.now()))


class CatchUpView(LayerView):
    """Reports after `after` (an id): what a map missed while its connection was cut."""

    @extend_schema(parameters=[OpenApiParameter("after", int, required=True)], responses={200: dict})
    def get(self, request):
        try:
            after = int(request.query_params.get("after", ""))
        except ValueError:
            raise ValidationError({"after": [_("« after » doit être un identifiant de compte rendu.")]}) from None
        return Response({"reports": reports_since(after)})
