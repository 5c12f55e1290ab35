import json
import threading
import urllib.request

from dashboard_api import logic, server


def test_summarise_adds_rows_per_city() -> None:
    assert logic.summarise([("Lagos", 2), ("Accra", 1), ("Lagos", 3)]) == {"Lagos": 5, "Accra": 1}


def test_health() -> None:
    httpd = server.make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/health"
        with urllib.request.urlopen(url, timeout=5) as r:  # nosec B310 (loopback)
            assert json.loads(r.read()) == {"status": "ok", "service": "dashboard-api", "version": "1.0.0"}
    finally:
        httpd.shutdown()
        httpd.server_close()
