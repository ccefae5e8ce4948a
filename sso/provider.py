"""The company's OpenID Connect provider, as its discovery document describes it
(`OIDC_ISSUER` + `/.well-known/openid-configuration`), fetched when first needed and kept an
hour: FeedbackLoop starts, and password sign-in works, while the provider is down."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

DISCOVERY_SECONDS = 60 * 60
_CACHE_KEY = "sso:discovery:{issuer}"


class SsoRefused(Exception):
    """Single sign-on did not sign anyone in; `reason` is a short code for the audit log and the
    message is what the person is told. Nothing was made or changed."""

    def __init__(self, reason: str, message: str, *, status: int = 403, email: str = ""):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.email = email


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider_name() -> str:
    return str(settings.OIDC_PROVIDER_NAME)


def provider() -> Provider:
    """The provider's endpoints; SsoRefused("unavailable") when it cannot be reached or its
    document is not for OIDC_ISSUER."""
    issuer = str(settings.OIDC_ISSUER).rstrip("/")
    key = _CACHE_KEY.format(issuer=issuer)
    document = cache.get(key)
    if document is None:
        url = f"{issuer}/.well-known/openid-configuration"
        try:
            answer = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            answer.raise_for_status()
            document = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise _unavailable() from exc
        if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
            # The spec's rule: a document for another issuer is not this provider's.
            raise _unavailable()
        cache.set(key, document, DISCOVERY_SECONDS)
    try:
        return Provider(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            userinfo_endpoint=str(document.get("userinfo_endpoint", "")),
            jwks_uri=str(document["jwks_uri"]),
        )
    except KeyError as exc:
        raise _unavailable() from exc


def provider_forget() -> None:
    cache.delete(_CACHE_KEY.format(issuer=str(settings.OIDC_ISSUER).rstrip("/")))


def _unavailable() -> SsoRefused:
    return SsoRefused(
        "unavailable",
        f"{provider_name()} cannot be reached just now, so nobody can sign in with it. "
        "Try again in a few minutes; if it lasts, tell your IT team.",
        status=502,
    )
