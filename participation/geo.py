"""Places people give on the public site are kept only approximately."""

from django.contrib.gis.geos import Point

# About 330 m north-south and 300 m east-west in France: a neighbourhood, not a door.
GRID_LAT, GRID_LON = 0.003, 0.004


def approximate(lat, lon):
    """The centre of the ~300 m grid cell holding the point (the point itself is never kept)."""
    if lat is None or lon is None:
        return None
    snap_lat = (int(lat // GRID_LAT) + 0.5) * GRID_LAT
    snap_lon = (int(lon // GRID_LON) + 0.5) * GRID_LON
    return Point(round(snap_lon, 6), round(snap_lat, 6), srid=4326)
