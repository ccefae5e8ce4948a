"""How a delivery is signed, in the one place a receiver's check is written down (README,
"Webhooks"): `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`."""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The X-FeedbackLoop-Signature header for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(*, secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """What a receiver does: the header's v1 matches (compared in constant time) and its t is
    within `tolerance` seconds of now, so an old delivery cannot be replayed."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
