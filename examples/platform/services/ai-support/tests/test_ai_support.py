import json
import threading
import urllib.request

from ai_support import logic, server


def test_answers_known_topics() -> None:
    assert logic.answer("Where is my REFUND?").startswith("Refunds")
    assert logic.answer("payout day?") == "Drivers are paid every Monday."


def test_unknown_topic_goes_to_an_agent() -> None:
    assert "agent" in logic.answer("hello")


def test_health() -> None:
    httpd = server.make_server("127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/health"
        with urllib.request.urlopen(url, timeout=5) as r:  # nosec B310 (loopback)
            assert json.loads(r.read()) == {"status": "ok", "service": "ai-support", "version": "1.0.0"}
    finally:
        httpd.shutdown()
        httpd.server_close()
