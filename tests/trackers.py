"""Deliveries shaped and signed as GitHub and Linear send them, for the tests of the trackers'
webhooks: GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with
`X-GitHub-Event` and `X-GitHub-Delivery`; Linear's `Linear-Signature: <hex HMAC-SHA256 of the
body>` with `Linear-Delivery`, `Linear-Event` and a `webhookTimestamp` in the body. The payloads
follow the documented shapes (trimmed of the fields FeedbackLoop does not read, but not of the
structure around the ones it does)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

GITHUB_SECRET = "gh-webhook-secret-7c1d2e"
LINEAR_SECRET = "lin_wh_3f9a8b7c6d5e4f30"

_USER = {"login": "octocat", "id": 1, "type": "User", "html_url": "https://github.com/octocat"}


def _repository(full_name: str) -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {
        "id": 1296269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": {**_USER, "login": owner},
        "html_url": f"https://github.com/{full_name}",
        "default_branch": "main",
    }


def github_pull_request(
    full_name: str, number: int, title: str, *, merged: bool = True, action: str = "closed"
) -> dict[str, Any]:
    """A `pull_request` event: closed and merged (or closed unmerged, or another action)."""
    html_url = f"https://github.com/{full_name}/pull/{number}"
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "url": f"https://api.github.com/repos/{full_name}/pulls/{number}",
            "id": 1_000_000 + number,
            "html_url": html_url,
            "number": number,
            "state": "closed" if action == "closed" else "open",
            "locked": False,
            "title": title,
            "user": _USER,
            "body": "Adds the export.",
            "created_at": "2026-10-01T09:00:00Z",
            "closed_at": "2026-10-02T09:00:00Z" if action == "closed" else None,
            "merged_at": "2026-10-02T09:00:00Z" if merged else None,
            "merge_commit_sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6" if merged else None,
            "merged": merged,
            "head": {"ref": "csv-export", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"},
            "base": {"ref": "main", "sha": "9049f1265b7d61be4a8904a9a27120d2064dab3b"},
        },
        "repository": _repository(full_name),
        "sender": _USER,
    }


def github_issue(
    full_name: str, number: int, title: str, *, state_reason: str | None = "completed"
) -> dict[str, Any]:
    """An `issues` event with action `closed` (as completed, or not planned)."""
    return {
        "action": "closed",
        "issue": {
            "url": f"https://api.github.com/repos/{full_name}/issues/{number}",
            "html_url": f"https://github.com/{full_name}/issues/{number}",
            "id": 2_000_000 + number,
            "number": number,
            "title": title,
            "user": _USER,
            "state": "closed",
            "state_reason": state_reason,
            "closed_at": "2026-10-02T09:00:00Z",
        },
        "repository": _repository(full_name),
        "sender": _USER,
    }


def github_headers(
    body: bytes, event: str, *, secret: str = GITHUB_SECRET, delivery: str | None = None
) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": f"sha256={signature}",
        "User-Agent": "GitHub-Hookshot/044aadd",
        "Content-Type": "application/json",
    }


def linear_issue_update(
    identifier: str, title: str, *, state_type: str = "completed", at: float | None = None
) -> dict[str, Any]:
    """An `Issue` `update` moving the issue to a state of `state_type`."""
    now = time.time() if at is None else at
    return {
        "action": "update",
        "actor": {"id": "2e6eea91-1111-4f3c-8c1f-0e3c9f1d2b3a", "name": "Ada", "type": "user"},
        "createdAt": "2026-10-02T09:00:00.000Z",
        "data": {
            "id": "9cfb482a-81e3-4154-b5b9-2c805e70a02d",
            "identifier": identifier,
            "number": int(identifier.split("-")[1]),
            "title": title,
            "url": f"https://linear.app/acme/issue/{identifier}/csv-export",
            "priority": 2,
            "state": {
                "id": "3e3a6b38-5a6f-4a44-9b1e-8c6b1d8c0f11",
                "name": "Done" if state_type == "completed" else "In Progress",
                "type": state_type,
                "color": "#5e6ad2",
            },
            "team": {"id": "72b2a2dc-6f4f-4423-9d34-24b5bd10634a", "key": "ENG", "name": "Eng"},
        },
        "updatedFrom": {"stateId": "0b7d2f3e-8c5a-4d0e-9f4c-5a6b7c8d9e0f", "updatedAt": "x"},
        "url": f"https://linear.app/acme/issue/{identifier}/csv-export",
        "type": "Issue",
        "organizationId": "cfb2e1a6-7c8d-4e5f-9a0b-1c2d3e4f5a6b",
        "webhookTimestamp": int(now * 1000),
        "webhookId": "000042e3-d123-4980-b49f-8e140eef9329",
    }


def linear_headers(
    body: bytes, *, secret: str = LINEAR_SECRET, delivery: str | None = None
) -> dict[str, str]:
    return {
        "Linear-Delivery": delivery or str(uuid.uuid4()),
        "Linear-Event": "Issue",
        "Linear-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "User-Agent": "Linear-Webhook",
        "Content-Type": "application/json; charset=utf-8",
    }


def as_bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode()
