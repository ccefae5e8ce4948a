"""The API's token sign-in: `Authorization: Token <key>`, checked against the hashes of people's
live API tokens. A revoked token, or a deactivated person's, is refused at once (401)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from people.selectors import api_token_for_key
from people.services import api_token_used


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_for_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        api_token_used(token=token)
        return token.user, token
