from urllib.parse import urlsplit

from .models import TILE_URL


def tile_origins(url):
    """The CSP source of a tile URL template: its scheme and host, Leaflet's `{s}`
    subdomain placeholder as a wildcard (https://{s}.tile.openstreetmap.fr/... ->
    https://*.tile.openstreetmap.fr)."""
    if not TILE_URL.match(url or ""):  # saved before it was checked, or not a tile server: no exception
        return []
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"]


class TileOriginMiddleware:
    """Allow the campaign's own tile server in the CSP of pages that drew a map with it.
    Sits after django-csp's middleware so it runs first on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        tiles = getattr(request, "_map_tiles", None)
        if tiles is not None:
            origins = tile_origins(tiles.tile_url)
            if origins:
                update = getattr(response, "_csp_update", None) or {}
                update["img-src"] = list(update.get("img-src", [])) + origins
                response._csp_update = update
        return response
