"""A turf on paper, for volunteers who prefer it: an A4 PDF with the turf's map (its
outline, the buildings numbered in walking order and the route) and its walk list with
boxes to tick. Drawn with Pillow; nothing is fetched from a tile server."""

import io
import math
from pathlib import Path

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from .turfs import walk_list_for

PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 70
RESULT_BOXES = ("not_home", "talked", "refused", "come_back")


# Debian's fonts-dejavu-core (installed by `make` and the Dockerfile): accents, œ,
# dashes. Pillow's built-in font lacks them.
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(size):
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def _project(turf, buildings, box):
    """lon/lat -> pixels inside `box` (x0, y0, x1, y1), keeping proportions."""
    x0, y0, x1, y1 = turf.geometry.extent
    scale_x = math.cos(math.radians((y0 + y1) / 2))
    width, height = max((x1 - x0) * scale_x, 1e-9), max(y1 - y0, 1e-9)
    bx0, by0, bx1, by1 = box
    k = min((bx1 - bx0) / width, (by1 - by0) / height)
    ox = bx0 + ((bx1 - bx0) - width * k) / 2
    oy = by0 + ((by1 - by0) - height * k) / 2

    def point(lon, lat):
        return ox + (lon - x0) * scale_x * k, oy + (y1 - lat) * k

    return point


def map_page(turf, action, walk):
    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    draw.text((MARGIN, MARGIN), turf.name, fill="black", font=_font(40))
    subtitle = f"{action.name} — " if action else ""
    subtitle += _("%(doors)d portes, %(buildings)d immeubles ou maisons") % {
        "doors": turf.door_count, "buildings": sum(len(s["buildings"]) for s in walk["streets"]),
    }  # fmt: skip
    draw.text((MARGIN, MARGIN + 55), subtitle, fill="#374151", font=_font(24))
    buildings = [b for s in walk["streets"] for b in s["buildings"]]
    point = _project(turf, buildings, (MARGIN, 220, PAGE[0] - MARGIN, PAGE[1] - MARGIN))
    for polygon in turf.geometry:
        for ring in polygon:
            draw.line([point(x, y) for x, y in ring.coords], fill="#1d4ed8", width=4)
    route = [point(b["longitude"], b["latitude"]) for b in buildings]
    if len(route) > 1:
        draw.line(route, fill="#9ca3af", width=2)
    small = _font(18)
    for b, (x, y) in zip(buildings, route, strict=True):
        draw.ellipse((x - 9, y - 9, x + 9, y + 9), fill="#b91c1c")
        draw.text((x + 11, y - 11), str(b["position"]), fill="black", font=small)
    return page


def list_pages(walk, action):
    codes = {c["code"]: c["label"] for c in (action.result_codes if action else [])}
    boxes = [codes.get(code, code) for code in RESULT_BOXES if not codes or code in codes]
    pages, page, y = [], None, 0
    line, bold = _font(20), _font(26)

    def new_page():
        nonlocal page, y
        page = Image.new("RGB", PAGE, "white")
        pages.append(page)
        y = MARGIN
        return ImageDraw.Draw(page)

    draw = new_page()
    for street in walk["streets"]:
        if y > PAGE[1] - MARGIN - 120:
            draw = new_page()
        draw.text((MARGIN, y), street["street"], fill="#1d4ed8", font=bold)
        y += 40
        for b in street["buildings"]:
            for door in b["doors"]:
                if y > PAGE[1] - MARGIN - 60:
                    draw = new_page()
                names = ", ".join(f"{p['first_names']} {p['last_name']}".strip() for p in door["people"])
                text = f"{b['position']}. {b['line1']}" + (f" — {door['label']}" if door["label"] else "")
                draw.text((MARGIN, y), text, fill="black", font=line)
                if names:
                    draw.text((MARGIN + 40, y + 26), names[:90], fill="#374151", font=_font(17))
                x = PAGE[0] - MARGIN - 150 * len(boxes)
                for label in boxes:
                    draw.rectangle((x, y + 2, x + 20, y + 22), outline="black", width=2)
                    draw.text((x + 26, y), label[:14], fill="black", font=_font(14))
                    x += 150
                y += 60
        y += 10
    return pages


def turf_pdf(turf, action=None):
    """The PDF bytes for this turf (and this action's result codes, when given)."""
    walk = walk_list_for(turf, action=action)
    pages = [map_page(turf, action, walk), *list_pages(walk, action)]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=150,
                  title=turf.name, author="Terrain")  # fmt: skip
    return out.getvalue()
