"""What the tests' local HTTP servers share: a quiet handler that answers with real bytes.

tests/test_fetch.py and tests/test_web_run.py each run a real http.server on
127.0.0.1 with their own routes and request logs; writing a response (status,
headers, Content-Length, no body for 304) is the same for both.
"""

from __future__ import annotations

import hashlib
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass  # the tests keep their own request logs

    def write_response(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
        """Send one response; returns the number of body bytes written."""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)
            return len(body)
        return 0

    def route(self, req: Any, n: int) -> None:
        raise NotImplementedError

    def serve(self, req: Any, n: int) -> None:
        """Route one logged request (the n-th to its path); a client hanging up is no error."""
        try:
            self.route(req, n)
        except OSError:
            pass
        finally:
            req.end = time.monotonic()
            req.done.set()

    def answer(self, req: Any, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        raise NotImplementedError

    def answer_conditionally(self, req: Any, body: bytes, mtime: int, content_type: str) -> None:
        """200 with ETag and Last-Modified, or 304 when the request's validators still match."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        validators = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if req.headers.get("If-None-Match") == etag:
            return self.answer(req, 304, b"", validators)
        since = req.headers.get("If-Modified-Since")
        if since and "If-None-Match" not in req.headers and parsedate_to_datetime(since).timestamp() >= mtime:
            return self.answer(req, 304, b"", validators)
        return self.answer(req, 200, body, {"Content-Type": content_type, **validators})
