import csv
import json
import re

import folium
from django import forms
from django.contrib import messages
from django.contrib.gis.db.models import Extent
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.accounts.models import AuditEntry
from crm.field.actions import result_choices, result_labels
from crm.field.models import Action, FieldReport, Zone
from crm.views import staff_required

from .dashboard import charts
from .layers import BadViewport
from .models import MapSettings

LAYERS = [  # (folium feature group id, label, shown at first)
    ("zones", gettext_lazy("Zones (priorité)"), True),
    ("coverage", gettext_lazy("Couverture des secteurs"), False),
    ("support", gettext_lazy("Soutien par secteur"), False),
    ("reports", gettext_lazy("Comptes rendus"), True),
    ("heat", gettext_lazy("Carte de chaleur du soutien"), False),
    ("volunteers", gettext_lazy("Bénévoles (position partagée)"), False),
    ("contributions", gettext_lazy("Contributions citoyennes"), True),
]
TAG = re.compile(r"<(?:script src|link rel)[^>]*>(?:</script>)?")


def build_map(request):
    """The map's skeleton with folium: Leaflet and its plugins from our static files,
    the campaign's tiles, one empty group per layer and the layer switcher. The
    layers' data comes from the API by bounding box (static/js/livemap.js)."""
    ms = MapSettings.current()
    extent = Zone.objects.aggregate(e=Extent("geometry"))["e"] or (-5.0, 42.0, 8.0, 51.0)
    fmap = folium.Map(location=[(extent[1] + extent[3]) / 2, (extent[0] + extent[2]) / 2], zoom_start=12,
                      tiles=None, control_scale=True)  # fmt: skip
    fmap._id = "staff"
    fmap.default_js = [
        ("leaflet", static("vendor/leaflet/leaflet.js")),
        ("markercluster", static("vendor/leaflet-markercluster/leaflet.markercluster.js")),
        ("heat", static("vendor/leaflet-heat/leaflet-heat.js")),
    ]
    fmap.default_css = [
        ("leaflet_css", static("vendor/leaflet/leaflet.css")),
        ("markercluster_css", static("vendor/leaflet-markercluster/MarkerCluster.css")),
        ("markercluster_default_css", static("vendor/leaflet-markercluster/MarkerCluster.Default.css")),
    ]
    if ms.tile_url:
        folium.TileLayer(tiles=ms.tile_url, attr=ms.tile_attribution or " ", name=_("Fond de carte")).add_to(fmap)
    sensitive = request.user.has_perm("crm.see_sensitive")
    for key, label, shown in LAYERS:
        if key in ("support", "heat") and not sensitive:
            continue
        if key == "volunteers" and not request.user.has_perm("field.track"):
            continue
        group = folium.FeatureGroup(name=str(label), show=shown)
        group._id = key
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    root = fmap.get_root()
    root.render()
    head = "\n".join(TAG.findall(root.header.render()))
    return ms, extent, head, root.script.render()


@staff_required("live.follow")
def staff_map(request):
    ms, extent, head, _script = build_map(request)
    last_report = FieldReport.objects.order_by("-id").values_list("id", flat=True).first() or 0
    actions = list(Action.objects.order_by("-starts_on", "name"))
    response = render(request, "livemap/staff_map.html", {
        "head": head, "extent": json.dumps(list(extent)), "actions": actions, "kinds": Action.Kind.choices,
        "results": result_choices(actions), "last_report": last_report,
        "result_labels": {a.pk: result_labels(a.kind, a.result_codes) for a in actions},
    })  # fmt: skip
    request._map_tiles = ms  # its tile server goes into the page's CSP (TileOriginMiddleware)
    return response


class MapSettingsForm(forms.ModelForm):
    class Meta:
        model = MapSettings
        fields = ["tile_url", "tile_attribution"]


@staff_required("campaign.manage")
def map_settings(request):
    """The map background of every map of the campaign, the citizens' ones included (its
    tile server goes into their pages' Content-Security-Policy): for its admins."""
    current = MapSettings.current()
    before = {"tile_url": current.tile_url, "tile_attribution": current.tile_attribution}
    form = MapSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        AuditEntry.objects.create(actor=request.user, action="map_settings.changed", target_type="map_settings",
                                  target_id=str(current.pk),
                                  data={"before": before, "after": form.cleaned_data})  # fmt: skip
        messages.success(request, _("Fond de carte enregistré."))
        return redirect("livemap")
    return render(request, "livemap/map_settings.html", {"form": form}, status=400 if form.errors else 200)


@staff_required("live.follow")
def map_script(request):
    """folium's map script, served from our origin (the pages allow no inline script)."""
    _ms, _extent, _head, script = build_map(request)
    return HttpResponse(script, content_type="text/javascript")


def public_map(request):
    """The campaign site's map: citizens' public contributions, nothing personal."""
    extent = Zone.objects.aggregate(e=Extent("geometry"))["e"] or (-5.0, 42.0, 8.0, 51.0)
    return render(request, "livemap/public_map.html", {"extent": json.dumps(list(extent))})


@staff_required("field.track")
def dashboard(request):
    """The team's figures, with the map's filters; each chart downloadable as CSV."""
    try:
        data = charts(request.GET, with_support=request.user.has_perm("crm.see_sensitive"))
    except BadViewport as exc:
        messages.error(request, str(exc))
        data = charts({}, with_support=request.user.has_perm("crm.see_sensitive"))
    return render(request, "livemap/dashboard.html", {
        "charts": data, "actions": Action.objects.order_by("-starts_on", "name"), "kinds": Action.Kind.choices,
        "query": request.GET.urlencode(),
    })  # fmt: skip


@staff_required("field.track")
def dashboard_csv(request, name):
    try:
        data = charts(request.GET, with_support=request.user.has_perm("crm.see_sensitive"))
    except BadViewport as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if name not in data:
        raise Http404(_("Ce graphique n'existe pas."))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(data[name]["columns"])
    writer.writerows(data[name]["rows"])
    return response
