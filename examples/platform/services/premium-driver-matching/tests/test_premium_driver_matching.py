import json
import threading
import urllib.request

from premium_driver_matching import logic, server


def test_distance() -> None:
    assert round(logic.distance_km((0.0, 0.0), (0.0, 1.0)), 1) == 111.2


def test_closest_well_rated_driver_wins() -> None:
    drivers = [("near-low", 0.0, 0.01, 4.2), ("far-high", 0.0, 0.5, 4.9),
               ("mid-high", 0.0, 0.1, 4.8)]
    assert logic.best_driver((0.0, 0.0), drivers) == "mid-high"
    assert logic.best_driver((0.0, 0.0), drivers, min_rating=5.0) is None


def test_health() -> None:
    httpd = server.make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/health"
        with urllib.request.urlopen(url, timeout=5) as r:  # nosec B310 (loopback)
            assert json.loads(r.read()) == {"status": "ok", "service": "premium-driver-matching", "version": "1.0.0"}
    finally:
        httpd.shutdown()
        httpd.server_close()
