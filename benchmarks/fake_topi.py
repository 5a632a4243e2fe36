"""What the benchmarks share: Django set up on the test settings, and a local fake of topi.

Each benchmark subclasses ``FakeTopi`` with the endpoints it needs and calls ``serve``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()


class FakeTopi(BaseHTTPRequestHandler):
    """Answers JSON; POST defaults to topi's token endpoint."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self._json({"access_token": "bench", "expires_in": 7200})

    def _json(self, body: object, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve(handler: type[FakeTopi]) -> tuple[str, ThreadingHTTPServer]:
    """Start ``handler`` on a free localhost port; answers (base URL, server to shut down)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server
