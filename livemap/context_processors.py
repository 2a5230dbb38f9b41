from django.utils.functional import SimpleLazyObject


def map_tiles(request):
    """The campaign's map background for any page that draws a map (an event's place,
    a proposal's point). Lazy: pages without a map do not query it."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(tenant, "is_platform", False):
        return {}
    from .models import MapSettings

    return {"map_tiles": SimpleLazyObject(MapSettings.current)}
