from urllib.parse import urlsplit


def tile_origins(url):
    """The CSP source of a tile URL template: its scheme and host, Leaflet's `{s}`
    subdomain placeholder as a wildcard (https://{s}.tile.openstreetmap.fr/... ->
    https://*.tile.openstreetmap.fr)."""
    parts = urlsplit(url or "")
    if not (parts.scheme and parts.netloc):
        return []
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
