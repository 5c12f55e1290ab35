import json
import threading
import urllib.error
import urllib.request
from typing import Iterator

import pytest

from ai_support.config import Config
from ai_support.server import make_server


@pytest.fixture()
def base_url() -> Iterator[str]:
    httpd = make_server(Config.from_env({"ENVIRONMENT": "test"}), host="127.0.0.1", port=0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_health(base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/health", timeout=5) as r:  # nosec B310 (loopback)
        assert r.status == 200
        body = json.loads(r.read())
    assert (body["status"], body["service"], body["environment"]) == ("ok", "ai-support", "test")


def test_answer(base_url: str) -> None:
    request = urllib.request.Request(f"{base_url}/v1/answer", method="POST",
                                     data=json.dumps({"question": "where is my payout"}).encode())
    with urllib.request.urlopen(request, timeout=5) as r:  # nosec B310 (loopback)
        assert json.loads(r.read())["matched"] == ["payout"]


def test_bad_request_is_400(base_url: str) -> None:
    request = urllib.request.Request(f"{base_url}/v1/answer", method="POST", data=b"[]")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=5)  # nosec B310 (loopback)
    assert e.value.code == 400
