from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm.views import staff_required

from .zones import BadZoneFile, import_zones


@staff_required("live.follow")
def zone_map(request):
    """The team's map of zones; organizers draw and import zones here."""
    can_edit = request.user.has_perm("campaign.manage_team")
    if request.method == "POST" and can_edit:
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Joignez un fichier GeoJSON."))
        else:
            try:
                result = import_zones(upload.read(), actor=request.user)
            except BadZoneFile as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("%(c)d zones créées, %(u)d mises à jour.") % {"c": result.created, "u": result.updated},
                )
                for line in result.warnings + result.refused:
                    messages.warning(request, line)
        return redirect("field:zones")
    return render(
        request,
        "field/zone_map.html",
        {"can_edit": can_edit, "tile_url": settings.MAP_TILE_URL, "tile_attribution": settings.MAP_TILE_ATTRIBUTION},
    )
