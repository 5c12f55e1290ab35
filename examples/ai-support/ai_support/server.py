"""The HTTP service: GET /health, POST /v1/answer (standard library only)."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Tuple

from . import __version__
from .answers import answer
from .config import Config

SERVICE = "ai-support"


def make_server(
    config: Config, host: str = "0.0.0.0", port: Optional[int] = None  # nosec B104
) -> ThreadingHTTPServer:
    """The server on config.port (or port: 0 picks a free one)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = f"{SERVICE}/{__version__}"

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/health":
                self._send(200, {"status": "ok", "service": SERVICE, "version": __version__,
                                 "environment": config.environment})
            else:
                self._send(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/v1/answer":
                self._send(404, {"error": f"no route {self.path}"})
                return
            status, body = self._answer()
            self._send(status, body)

        def _answer(self) -> Tuple[int, object]:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
                return 200, answer(str(payload.get("question", "")))
            except (ValueError, AttributeError) as e:
                return 400, {"error": str(e)}

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            logging.getLogger(SERVICE).info(format, *args)

    return ThreadingHTTPServer((host, config.port if port is None else port), Handler)


def main() -> None:
    config = Config.from_env()
    logging.basicConfig(level=config.log_level)
    server = make_server(config)
    logging.getLogger(SERVICE).info("listening on port %d", config.port)
    server.serve_forever()
