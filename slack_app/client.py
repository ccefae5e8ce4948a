"""Slack's two edges, through the official SDK (slack_sdk): knowing a request came from Slack,
and calling its Web API (at SLACK_API_URL, which a test points at a local server)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from notifications.registry import Refused

# Slack gives an app three seconds to answer; a call made while it waits must leave room.
IN_REQUEST_TIMEOUT = 2
# A worker may wait longer: the outbox tries a row again if this runs out.
WORKER_TIMEOUT = 10
# What Slack answers when it is the one in trouble, or asks us to slow down: worth trying again.
_TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


def configured() -> bool:
    """Both secrets are set (the settings refuse one without the other)."""
    return bool(settings.SLACK_SIGNING_SECRET and settings.SLACK_BOT_TOKEN)


def request_is_from_slack(body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's signature over `v0:{timestamp}:{body}` with the signing secret matches, and the
    timestamp is within five minutes of now (an older request may be a replay)."""
    if not configured():
        return False
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    verifier = SignatureVerifier(settings.SLACK_SIGNING_SECRET)
    return verifier.is_valid(body=text, timestamp=timestamp, signature=signature)


def web_client(*, timeout: int = WORKER_TIMEOUT) -> WebClient:
    """The Web API with the bot token. No retries of its own: a call made in a request has no
    time for them, and the outbox retries a delivery."""
    return WebClient(
        token=settings.SLACK_BOT_TOKEN,
        base_url=settings.SLACK_API_URL,
        timeout=timeout,
        retry_handlers=[],
    )


def api_error(exc: Exception) -> str:
    """What Slack said (its `error` code), or how the call failed, in one line."""
    if isinstance(exc, SlackApiError):
        return f"Slack answered {exc.response.get('error') or exc.response.status_code}"
    return f"Slack could not be reached: {type(exc).__name__}: {exc}"[:500]


def refusal(exc: Exception) -> Refused:
    """A failed Web API call as the outbox retries it: unreachable, rate-limited or Slack's own
    trouble is worth another try; anything else Slack refused (a wrong channel, a revoked
    token) is not."""
    if isinstance(exc, SlackApiError):
        code = str(exc.response.get("error") or "")
        transient = code in _TRANSIENT_ERRORS or exc.response.status_code >= 500
        transient = transient or exc.response.status_code == 429
        return Refused(api_error(exc), transient=transient)
    return Refused(api_error(exc), transient=True)
