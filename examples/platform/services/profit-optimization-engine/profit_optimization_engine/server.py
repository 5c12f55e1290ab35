"""Suggests the fare multiplier that maximises expected profit. GET /health (standard library only)."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

SERVICE = "profit-optimization-engine"
VERSION = "1.0.0"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/health":
            status, body = 200, {"status": "ok", "service": SERVICE, "version": VERSION}
        else:
            status, body = 404, {"error": "no route " + self.path}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def make_server(host: str = "0.0.0.0", port: Optional[int] = None) -> ThreadingHTTPServer:  # nosec B104
    bound = int(os.environ.get("PORT", "8002")) if port is None else port
    return ThreadingHTTPServer((host, bound), Handler)


if __name__ == "__main__":
    make_server().serve_forever()
