"""A local stand-in for Slack, for tests: a threaded HTTP server that answers the Web API
methods FeedbackLoop calls in Slack's own shapes, and records every call; plus requests to our
endpoints signed exactly as Slack signs them.

The Web API answers HTTP 200 with `{"ok": false, "error": "…"}` for what it refuses (a wrong
token, an unknown user or channel), 429 with Retry-After when rate-limited. slack_sdk's
WebClient POSTs some methods as JSON (views.*, chat.postMessage) and the others form-encoded
(users.info, conversations.open, …); Slack also takes a GET with a query string: the server
reads all three.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

from django.test import Client

TOKEN = "xoxb-test-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"


@dataclass(frozen=True)
class Call:
    """One Web API call as the server received it."""

    method: str
    args: dict[str, Any]
    http_method: str
    content_type: str
    authorization: str
    at: float  # when it arrived (time.time())


@dataclass
class _Failure:
    error: str
    times: int
    status: int = 200


@dataclass
class FakeSlack:
    """The server's state: the workspace's people and channels, what to refuse, the calls."""

    users: dict[str, str] = field(default_factory=dict)  # Slack user id -> profile email
    names: dict[str, str] = field(default_factory=dict)  # Slack user id -> real name
    channels: set[str] = field(default_factory=lambda: {"C0SHIP", "C0GENERAL"})
    calls: list[Call] = field(default_factory=list)
    delay: float = 0.0
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _views: dict[str, str] = field(default_factory=dict)  # view id -> its current hash
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    def add_user(self, user_id: str, email: str, name: str = "") -> None:
        self.users[user_id] = email
        self.names[user_id] = name or user_id

    def fail(self, method: str, error: str, *, times: int = 1, status: int = 200) -> None:
        """Refuse the next `times` calls of `method` with `error` (HTTP `status`)."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(error, times, status))

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [call.method for call in self.calls]

    def refused_calls(self) -> list[Call]:
        """Calls made with another token than the bot's (Slack answers them invalid_auth)."""
        with self._lock:
            return [call for call in self.calls if call.authorization != f"Bearer {TOKEN}"]

    def posted(self) -> list[dict[str, Any]]:
        """What chat.postMessage was asked to post, in order."""
        return [call.args for call in self.called("chat.postMessage")]

    # The server side -------------------------------------------------------------------------

    def _failure(self, method: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures.get(method, []):
                if failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def _user(self, user_id: str) -> dict[str, Any]:
        return {
            "id": user_id,
            "team_id": TEAM,
            "name": user_id.lower(),
            "deleted": False,
            "is_bot": False,
            "profile": {
                "email": self.users[user_id],
                "real_name": self.names.get(user_id, user_id),
                "display_name": user_id.lower(),
                "team": TEAM,
            },
        }

    def answer(self, method: str, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one call, as Slack answers it."""
        failure = self._failure(method)
        if failure is not None:
            return failure.status, {"ok": False, "error": failure.error}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}
        result: tuple[int, dict[str, Any]] = handler(args)
        return result

    def _ok(self, **body: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, **body}

    def _error(self, error: str) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": False, "error": error}

    def _users_info(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if args.get("user") not in self.users:
            return self._error("user_not_found")
        return self._ok(user=self._user(args["user"]))

    def _users_lookupByEmail(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for user_id, email in self.users.items():
            if email.lower() == str(args.get("email", "")).lower():
                return self._ok(user=self._user(user_id))
        return self._error("users_not_found")

    def _conversations_open(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        user_id = str(args.get("users", ""))
        if user_id not in self.users:
            return self._error("user_not_found")
        return self._ok(channel={"id": "D" + user_id[1:]})

    def _chat_postMessage(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = str(args.get("channel", ""))
        if not (channel in self.channels or channel.startswith("D")):
            return self._error("channel_not_found")
        if not args.get("text") and not args.get("blocks"):
            return self._error("no_text")
        ts = f"{time.time():.6f}"
        message = {"type": "message", "text": args.get("text", ""), "ts": ts, "bot_id": "B0001"}
        return self._ok(channel=channel, ts=ts, message=message)

    def _chat_getPermalink(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
        if channel not in self.channels:
            return self._error("channel_not_found")
        link = f"https://acme-corp.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return self._ok(channel=channel, permalink=link)

    def _view(self, view: dict[str, Any], view_id: str) -> dict[str, Any]:
        view_hash = f"{time.time():.0f}.{next(self._ids)}"
        with self._lock:
            self._views[view_id] = view_hash
        return {
            **view,
            "id": view_id,
            "team_id": TEAM,
            "hash": view_hash,
            "state": {"values": {}},
            "root_view_id": view_id,
        }

    def _views_open(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not args.get("trigger_id"):
            return self._error("invalid_arguments")
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal":
            return self._error("invalid_arguments")
        return self._ok(view=self._view(view, f"V{next(self._ids):08d}"))

    def _views_update(self, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        view_id = str(args.get("view_id", ""))
        with self._lock:
            current = self._views.get(view_id)
        if current is None:
            return self._error("not_found")
        if args.get("hash") and args["hash"] != current:
            return self._error("hash_conflict")
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict) or view.get("type") != "modal":
            return self._error("invalid_arguments")
        return self._ok(view=self._view(view, view_id))

    def close_view(self, view_id: str) -> None:
        """The rep submitted or closed it: a later views.update with the old hash conflicts."""
        with self._lock:
            self._views[view_id] = "changed"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def _serve(self) -> None:
        fake = self.server.fake
        parsed = urlparse(self.path)
        method = parsed.path.rsplit("/", 1)[-1]
        args: dict[str, Any] = dict(parse_qsl(parsed.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if body and content_type.startswith("application/json"):
            args.update(json.loads(body))
        elif body:
            args.update(parse_qsl(body.decode()))
        authorization = self.headers.get("Authorization", "")
        with fake._lock:
            fake.calls.append(
                Call(method, args, self.command, content_type, authorization, time.time())
            )
        if fake.delay:
            time.sleep(fake.delay)
        if authorization != f"Bearer {TOKEN}":
            status, answer = 200, {"ok": False, "error": "invalid_auth"}
        else:
            status, answer = fake.answer(method, args)
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if status == 429:
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class SlackServer:
    """Runs a FakeSlack on a free port of 127.0.0.1; `url` is its SLACK_API_URL."""

    def __init__(self) -> None:
        self.fake = FakeSlack()
        self._server = _Server(self.fake)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/"
        self.fake.url = self.url

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# Requests from Slack to us ------------------------------------------------------------------


def signature(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's: v0= and the hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_post(
    client: Client,
    path: str,
    body: bytes,
    content_type: str,
    *,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
    sign: str | None = None,
) -> Any:
    """POST `body` to one of our Slack endpoints with Slack's headers, signed as Slack signs."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return client.post(
        path,
        data=body,
        content_type=content_type,
        headers={
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": sign if sign is not None else signature(body, timestamp, secret),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        },
    )


def command_body(**fields: str) -> bytes:
    """A slash command as Slack posts it (form-encoded)."""
    defaults = {
        "token": "deprecated-verification-token",
        "team_id": TEAM,
        "team_domain": "acme-corp",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_name": "sam",
        "command": "/feedback",
        "text": "",
        "api_app_id": "A0FEEDBACK",
        "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    return urlencode({**defaults, **fields}).encode()


def payload_body(payload: dict[str, Any]) -> bytes:
    """An interactivity request as Slack posts it: form-encoded, one `payload` field of JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode()
