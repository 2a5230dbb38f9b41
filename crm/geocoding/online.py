"""Optional online geocoding with the French address API's batch CSV endpoint
(`POST <GEOCODER_ONLINE_URL>/search/csv/`), for addresses the offline reference did
not locate. Off unless GEOCODER_ONLINE_URL is set: it sends addresses (never names)
to a third party, which a campaign must decide to do.
"""

import csv
import io
import logging

import requests
from django.conf import settings
from django.contrib.gis.geos import Point

log = logging.getLogger(__name__)
BATCH = 5000
MIN_SCORE = 0.5


def enabled():
    return bool(getattr(settings, "GEOCODER_ONLINE_URL", ""))


def geocode_batch(rows, *, url=None, timeout=120):
    """rows: [(id, street line, postal code, city)] -> {id: (lon, lat)} for confident matches."""
    url = (url or settings.GEOCODER_ONLINE_URL).rstrip("/") + "/search/csv/"
    body = io.StringIO()
    writer = csv.writer(body)
    writer.writerow(["id", "adresse", "code_postal", "ville"])
    writer.writerows(rows)
    response = requests.post(
        url,
        files={"data": ("adresses.csv", body.getvalue().encode("utf-8"), "text/csv")},
        data=[("columns", "adresse"), ("columns", "ville"), ("postcode", "code_postal")],
        timeout=timeout,
    )
    response.raise_for_status()
    found = {}
    for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))):
        try:
            score = float(row.get("result_score") or 0)
            lon, lat = float(row["longitude"]), float(row["latitude"])
        except (KeyError, ValueError):
            continue
        if score >= MIN_SCORE:
            found[int(row["id"])] = (lon, lat)
    return found


def geocode_missing_addresses(address_ids=None):
    """Locate the current campaign's addresses that have no point. Returns the ids located."""
    from crm.models import Address

    todo = Address.objects.filter(point__isnull=True)
    if address_ids is not None:
        todo = todo.filter(pk__in=address_ids)
    located = []
    ids = list(todo.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = Address.objects.filter(pk__in=ids[start : start + BATCH])
        try:
            found = geocode_batch([(a.pk, a.line1, a.postal_code, a.city) for a in batch])
        except requests.RequestException as exc:
            log.warning("online geocoding failed, addresses left unlocated: %s", exc)
            break
        for address in batch:
            if address.pk in found:
                address.point = Point(*found[address.pk], srid=4326)
                address.geocoded_by = "api-adresse"
                address.save(update_fields=["point", "geocoded_by"])
                located.append(address.pk)
    return located
