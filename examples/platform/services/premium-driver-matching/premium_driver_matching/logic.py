"""Matches premium riders with the best nearby driver."""

import math
from typing import List, Optional, Tuple

Driver = Tuple[str, float, float, float]  # id, latitude, longitude, rating


def distance_km(a: Tuple[float, float], b: Tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 \
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def best_driver(rider: Tuple[float, float], drivers: List[Driver],
                min_rating: float = 4.7) -> Optional[str]:
    """The closest driver rated at least min_rating, or None."""
    eligible = [(distance_km(rider, (d[1], d[2])), d[0]) for d in drivers if d[3] >= min_rating]
    return min(eligible)[1] if eligible else None
