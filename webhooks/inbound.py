"""What the trackers' webhooks say, once their sender is proven: GitHub and Linear.

Each request is checked the way its sender documents: GitHub's `X-Hub-Signature-256` is
`sha256=` and the hex HMAC-SHA256 of the raw body with the webhook's secret; Linear's
`Linear-Signature` is the hex HMAC-SHA256 of the raw body, and its `webhookTimestamp` (in the
signed body, milliseconds) must be within a minute of now. Both are compared in constant time.
Only then is the JSON read, for one thing: does it say a work item is done (a GitHub issue
closed as completed, a pull request merged, a Linear issue moved to a completed state)?
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from triage.models import Tracker
from triage.tracker import work_item_key

LINEAR_TOLERANCE_SECONDS = 60


class Refused(Exception):
    """The request is not one to act on: answered with `status` and `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Done:
    """A work item its tracker says is finished."""

    tracker: Tracker
    key: str
    title: str


def _hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_verify(*, secret: str, body: bytes, header: str) -> None:
    """Refuse (401) unless X-Hub-Signature-256 signs the raw body with the secret."""
    if not secret:
        raise Refused(401, "GitHub webhooks are not set up here (GITHUB_WEBHOOK_SECRET).")
    expected = "sha256=" + _hex_hmac(secret, body)
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise Refused(401, "The X-Hub-Signature-256 signature does not match the body.")


def linear_verify(*, secret: str, body: bytes, header: str) -> None:
    """Refuse (401) unless Linear-Signature is the HMAC of the raw body with the secret."""
    if not secret:
        raise Refused(401, "Linear webhooks are not set up here (LINEAR_WEBHOOK_SECRET).")
    if not hmac.compare_digest(_hex_hmac(secret, body).encode(), header.strip().encode()):
        raise Refused(401, "The Linear-Signature does not match the body.")


def parsed(body: bytes) -> dict[str, Any]:
    """The signed body as a JSON object, or a refusal (400) that says what is wrong with it."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, f"The body is not JSON: {exc}.") from exc
    if not isinstance(payload, dict):
        raise Refused(400, "The body is JSON but not an object.")
    return payload


def _field(payload: Any, *path: str) -> Any:
    value = payload
    for name in path:
        if not isinstance(value, dict) or name not in value:
            raise Refused(400, f"The payload has no {'.'.join(path)}.")
        value = value[name]
    return value


def _text(payload: Any, *path: str) -> str:
    value = _field(payload, *path)
    if not isinstance(value, str):
        raise Refused(400, f"{'.'.join(path)} is not text.")
    return value


def _number(payload: Any, *path: str) -> int:
    value = _field(payload, *path)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Refused(400, f"{'.'.join(path)} is not a number.")
    return value


def github_done(*, event: str, payload: dict[str, Any]) -> Done | None:
    """The work item a GitHub delivery finishes, or None for one that finishes nothing."""
    if event == "issues":
        if _text(payload, "action") != "closed":
            return None
        number, title = _number(payload, "issue", "number"), _text(payload, "issue", "title")
        # Closed as "not planned" (or as a duplicate) is not work done.
        if payload["issue"].get("state_reason") not in (None, "completed"):
            return None
    elif event == "pull_request":
        merged = _field(payload, "pull_request", "merged") is True
        if _text(payload, "action") != "closed" or not merged:
            return None
        number = _number(payload, "pull_request", "number")
        title = _text(payload, "pull_request", "title")
    else:
        return None
    repository = _text(payload, "repository", "full_name")
    key = work_item_key(Tracker.GITHUB, repository=repository, number=number)
    return Done(Tracker.GITHUB, key, title)


def linear_fresh(*, payload: dict[str, Any], now: float | None = None) -> None:
    """Refuse (400) a delivery whose webhookTimestamp is more than a minute from now: a replay
    of an old one, or a clock far off."""
    stamp = _number(payload, "webhookTimestamp")
    now = time.time() if now is None else now
    if abs(now - stamp / 1000) > LINEAR_TOLERANCE_SECONDS:
        raise Refused(
            400,
            f"webhookTimestamp is {abs(now - stamp / 1000):.0f} s from now; only deliveries "
            f"within {LINEAR_TOLERANCE_SECONDS} s are taken.",
        )


def linear_done(*, payload: dict[str, Any]) -> Done | None:
    """The work item a Linear delivery finishes: an Issue update to a completed state."""
    if _text(payload, "type") != "Issue" or _text(payload, "action") != "update":
        return None
    if _text(payload, "data", "state", "type") != "completed":
        return None
    # Only the update that moved it there: an edit to a finished issue finishes nothing new.
    updated_from = payload.get("updatedFrom")
    if isinstance(updated_from, dict) and "stateId" not in updated_from:
        return None
    identifier = _text(payload, "data", "identifier")
    title = _text(payload, "data", "title")
    return Done(Tracker.LINEAR, work_item_key(Tracker.LINEAR, identifier=identifier), title)
