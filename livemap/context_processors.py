from django.utils.functional import SimpleLazyObject


def map_tiles(request):
    """The campaign's map background for any page that draws a map (an event's place,
    a proposal's point, the public map). Lazy: pages without a map do not query it;
    pages that use it get the tile server's origin in their CSP (TileOriginMiddleware)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(tenant, "is_platform", False):
        return {}
    from .models import MapSettings

    def load():
        request._map_tiles = MapSettings.cached()
        return request._map_tiles

    return {"map_tiles": SimpleLazyObject(load)}
