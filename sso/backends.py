"""mozilla-django-oidc's authorization-code flow, pointed at the provider's discovery document,
with the ID token's claims checked in full: its signature (RS256, by the provider's published
keys) and expiry (PyJWT, in the library), nonce, issuer, audience and issue time (here)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso.provider import SsoRefused, provider, provider_name, sso_enabled
from sso.services import sso_sign_in

LEEWAY_SECONDS = 60  # clocks differ a little


class OidcBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The endpoints come from discovery when a sign-in happens, not from settings at start.
        self.UserModel = get_user_model()

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not sso_enabled() or "nonce" not in kwargs:
            return None  # a password sign-in, or single sign-on is off
        found = provider()
        self.issuer = found.issuer
        self.OIDC_OP_TOKEN_ENDPOINT = found.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = found.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        """The signed-in person of a session, unless they were deactivated since."""
        user = self.UserModel.objects.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The library checks the signature and the nonce; the rest of OpenID Connect's rules
        for an ID token are checked here."""
        try:
            payload: dict[str, Any] = super().verify_token(token, **kwargs)
        except jwt.ExpiredSignatureError as exc:
            raise self._refused("it has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise self._refused("its signature or claims do not check out") from exc
        now = time.time()
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        problem = ""
        if str(payload.get("iss", "")).rstrip("/") != self.issuer.rstrip("/"):
            problem = "it was issued by someone else"
        elif self.OIDC_RP_CLIENT_ID not in audiences or (
            len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID
        ):
            problem = "it was meant for another application"
        elif (
            not isinstance(payload.get("exp"), int | float) or payload["exp"] < now - LEEWAY_SECONDS
        ):
            problem = "it has expired"
        elif isinstance(payload.get("iat"), int | float) and payload["iat"] > now + LEEWAY_SECONDS:
            problem = "it was issued in the future"
        if problem:
            raise self._refused(problem)
        return payload

    @staticmethod
    def _refused(problem: str) -> SsoRefused:
        return SsoRefused(
            "token",
            f"The sign-in answer from {provider_name()} was refused: {problem}. "
            "Nothing was changed; start again.",
            status=400,
        )

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The ID token's claims with the userinfo endpoint's over them (some providers, such as
        Entra ID, put groups only in the ID token); both must be about the same subject."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if isinstance(info, dict):
                if info.get("sub") not in (None, payload.get("sub")):
                    raise SsoRefused("token", "The provider's answers disagree on who you are.")
                claims.update(info)
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        return sso_sign_in(issuer=self.issuer, claims=claims)
