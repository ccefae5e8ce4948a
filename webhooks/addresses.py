"""Which endpoint URLs FeedbackLoop may call: not one that resolves to this machine or the
company's private network (loopback, private, link-local, reserved), so an admin's typo or a
DNS change cannot make the worker post into the network it runs in. WEBHOOKS_ALLOW_PRIVATE=1
lifts it (tests, a receiver on the same network on purpose). Checked when an endpoint is saved
and again before each send."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import DomainError


class Unresolvable(DomainError):
    """The host name did not resolve now: refused when saving, tried again when sending (DNS
    can fail for a moment)."""


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def url_check(url: str, *, field: str = "url") -> None:
    """Refuse a URL that is not http(s) or whose host resolves to a private address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("Give an http:// or https:// address with a host name.", field=field)
    if parts.username or parts.password:
        raise DomainError(
            "Leave the user name and password out of the address; the secret signs each delivery.",
            field=field,
        )
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as exc:
        raise Unresolvable(f"{parts.hostname} could not be resolved ({exc}).", field=field) from exc
    for *_, sockaddr in found:
        if _refused_address(str(sockaddr[0])):
            raise DomainError(
                f"{parts.hostname} resolves to {sockaddr[0]}, a loopback, private or link-local "
                "address: FeedbackLoop only calls public addresses (WEBHOOKS_ALLOW_PRIVATE=1 "
                "lifts this).",
                field=field,
            )
