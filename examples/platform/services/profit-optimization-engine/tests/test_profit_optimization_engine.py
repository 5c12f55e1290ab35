import json
import threading
import urllib.request

from profit_optimization_engine import logic, server

import pytest  # noqa: E402


def test_profit() -> None:
    assert logic.expected_profit(1.0, 10.0, 6.0, 100.0, 0.5) == 400.0


def test_best_multiplier_balances_price_and_demand() -> None:
    assert logic.best_multiplier(10.0, 6.0, 100.0, 0.5) == 2.0
    assert logic.best_multiplier(10.0, 6.0, 100.0, 2.0) == 1.0


def test_bad_multiplier() -> None:
    with pytest.raises(ValueError, match="multiplier"):
        logic.expected_profit(0, 10.0, 6.0, 100.0, 0.5)


def test_health() -> None:
    httpd = server.make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/health"
        with urllib.request.urlopen(url, timeout=5) as r:  # nosec B310 (loopback)
            assert json.loads(r.read()) == {"status": "ok", "service": "profit-optimization-engine", "version": "1.0.0"}
    finally:
        httpd.shutdown()
        httpd.server_close()
