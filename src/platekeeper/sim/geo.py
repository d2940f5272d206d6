"""Small spherical-earth helpers for the simulated network: great-circle
distance, bearing, compass names and moving a point along a bearing.

A sphere of mean radius 6,371 km is accurate to about 0.5 % against the WGS 84
ellipsoid, far better than the detour factors that turn straight lines into
road lengths.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8

_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
_BOUND = (
    "northbound",
    "northeastbound",
    "eastbound",
    "southeastbound",
    "southbound",
    "southwestbound",
    "westbound",
    "northwestbound",
)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS 84 points (degrees)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, degrees clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def compass(bearing: float) -> str:
    """The eight-point compass name of a bearing (``N``, ``NE`` …)."""
    return _COMPASS[round((bearing % 360.0) / 45.0) % 8]


def bound(bearing: float) -> str:
    """How traffic heading on this bearing is described (``northbound`` …)."""
    return _BOUND[round((bearing % 360.0) / 45.0) % 8]


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The point ``distance_m`` metres from (lat, lon) on ``bearing`` degrees."""
    d = distance_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0
