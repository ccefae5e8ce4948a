"""How a delivery is signed (README, "Webhooks", shows how a receiver checks it):
`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`."""

from __future__ import annotations

import hashlib
import hmac


def signature(*, secret: str, body: bytes, timestamp: int) -> str:
    """The X-FeedbackLoop-Signature header for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
