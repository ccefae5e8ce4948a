"""How SCIM callers are let in: a live SCIM token as a bearer token, nothing else; and the
address SCIM's answers name themselves with."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_scim import constants
from django_scim.middleware import SCIMAuthCheckMiddleware

from sso.provisioning import scim_token_for_key


def scim_error(status: int, detail: str, scim_type: str = "") -> HttpResponse:
    body: dict[str, Any] = {
        "schemas": [constants.SchemaURI.ERROR],
        "detail": detail,
        "status": status,
    }
    if scim_type:
        body["scimType"] = scim_type
    return HttpResponse(json.dumps(body), content_type=constants.SCIM_CONTENT_TYPE, status=status)


class ScimTokenCheck(SCIMAuthCheckMiddleware):  # type: ignore[misc]
    """Only a live SCIM token (`Authorization: Bearer …`) gets in; a browser's session does not."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        scheme, _, key = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
        token = scim_token_for_key(key=key.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = scim_error(401, "A valid SCIM bearer token is required.")
            response["WWW-Authenticate"] = 'Bearer realm="FeedbackLoop SCIM"'
            return response
        request.scim_token = token  # type: ignore[attr-defined]
        return None


def scim_base_location(request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> str:
    return str(settings.SITE_URL)
