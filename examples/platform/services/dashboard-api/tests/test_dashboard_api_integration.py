"""Integration test: trips per city from a real PostgreSQL, cached in a real Redis."""

import os

import pytest

from dashboard_api import logic

pytestmark = pytest.mark.integration


def test_trips_per_city_reads_postgres_then_redis() -> None:
    missing = [n for n in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(n)]
    if missing:
        pytest.fail(f"{' and '.join(missing)} must name the test servers for integration tests")
    import psycopg2
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).delete("dashboard:trips-per-city")
    db = psycopg2.connect(os.environ["DATABASE_URL"])
    db.autocommit = True
    with db.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS trips")
        cur.execute("CREATE TABLE trips (id SERIAL PRIMARY KEY, city TEXT NOT NULL)")
        cur.execute("INSERT INTO trips (city) VALUES ('Lagos'), ('Lagos'), ('Accra')")
    db.close()
    first = logic.trips_per_city(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
    second = logic.trips_per_city(os.environ["DATABASE_URL"], os.environ["REDIS_URL"])
    assert first == {"cached": False, "cities": {"Lagos": 2, "Accra": 1}}
    assert second == {"cached": True, "cities": {"Lagos": 2, "Accra": 1}}
