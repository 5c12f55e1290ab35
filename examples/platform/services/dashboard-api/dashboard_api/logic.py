"""Serves the operations dashboard: trip counts per city, cached."""

import json
from typing import Any, Dict, Iterable, Tuple


def summarise(rows: Iterable[Tuple[str, int]]) -> Dict[str, int]:
    """Trips per city from (city, trips) rows."""
    out: Dict[str, int] = {}
    for city, trips in rows:
        out[city] = out.get(city, 0) + int(trips)
    return out


def trips_per_city(database_url: str, redis_url: str, ttl: int = 60) -> Dict[str, Any]:
    """Trips per city from PostgreSQL, cached in Redis for ttl seconds."""
    import psycopg2
    import redis

    cache = redis.Redis.from_url(redis_url)
    try:
        hit = cache.get("dashboard:trips-per-city")
        if hit is not None:
            return {"cached": True, "cities": json.loads(hit)}
        db = psycopg2.connect(database_url)
        try:
            with db.cursor() as cur:
                cur.execute("SELECT city, count(*) FROM trips GROUP BY city")
                cities = summarise(cur.fetchall())
        finally:
            db.close()
        cache.setex("dashboard:trips-per-city", ttl, json.dumps(cities))
        return {"cached": False, "cities": cities}
    finally:
        cache.close()
