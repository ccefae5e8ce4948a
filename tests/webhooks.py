"""A local webhook receiver for tests: a threaded HTTP server on a free port of 127.0.0.1 that
checks each delivery's signature the way the README tells receivers to (its own HMAC, not
FeedbackLoop's code), keeps what it received, and answers as a test tells it: a status, a
delay, a redirect, an answer dripped slowly, or no answer at all."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "whsec-test-5f1c0a9e7b2d4c6e8a0b"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event_type(self) -> str:
        return self.headers.get("X-FeedbackLoop-Event", "")

    @property
    def delivery_id(self) -> str:
        return self.headers.get("X-FeedbackLoop-Delivery", "")


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0  # before the status line
    drip: float = 0.0  # between bytes of the body, after the headers
    location: str = ""
    body: bytes = b"ok"


def signature_ok(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """The README's check: t within five minutes, v1 = HMAC-SHA256("<t>.<body>")."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Receiver:
    secret: str = SECRET
    received: list[Received] = field(default_factory=list)
    # Answers to give in turn (per path); the default answer once they run out.
    script: dict[str, list[Answer]] = field(default_factory=dict)
    default: Answer = field(default_factory=Answer)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *answers: Answer) -> None:
        with self.lock:
            self.script.setdefault(path, []).extend(answers)

    def _next(self, path: str) -> Answer:
        with self.lock:
            queued = self.script.get(path)
            return queued.pop(0) if queued else self.default

    def at(self, path: str = "/hook") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def types(self, path: str = "/hook") -> list[str]:
        return [r.event_type for r in self.at(path)]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            with receiver.lock:
                receiver.received.append(
                    Received(
                        path=self.path,
                        headers=headers,
                        body=body,
                        signature_ok=signature_ok(
                            receiver.secret, body, headers.get("X-FeedbackLoop-Signature", "")
                        ),
                        at=time.time(),
                    )
                )
            answer = receiver._next(self.path)
            time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                if answer.location:
                    self.send_header("Location", answer.location)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                for byte in answer.body if answer.drip else [answer.body]:
                    self.wfile.write(bytes([byte]) if isinstance(byte, int) else byte)
                    self.wfile.flush()
                    time.sleep(answer.drip)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting, as it should

    return Handler


@contextmanager
def receiving(secret: str = SECRET) -> Iterator[Receiver]:
    """A receiver listening on a free port for the length of the block."""
    receiver = Receiver(secret=secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
