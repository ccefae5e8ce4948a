"""The API's OpenAPI schema, written in one place: every operation documents the refusals every
call can meet, with the body core.api.exception_handler gives them.

Set as REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS; the apps' views only describe their own success
answers (extend_schema) and their fields (serializers, core.api's text fields)."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from drf_spectacular.utils import PolymorphicProxySerializer

# The body of every refusal but bad input: {"detail": "what went wrong, in words"}.
ERROR = {
    "type": "object",
    "description": "A refusal, said in words a person can act on.",
    "properties": {"detail": {"type": "string", "description": "What went wrong"}},
    "required": ["detail"],
    "additionalProperties": False,
}

# Bad input: each field that was refused, with why; a nested object's fields nest the same way
# ({"customer": {"email": ["…"]}}), a list's items by position ({"tags": {"0": ["…"]}}).
# Refusals of the body as a whole (it is not JSON, it is too large, two fields disagree) are
# under "non_field_errors".
FIELD_ERRORS = {
    "type": "object",
    "description": "Bad input: each refused field with its messages; `non_field_errors` for the "
    "body as a whole. Nothing was changed.",
    "minProperties": 1,
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
    "example": {"title": ["The title is required."]},
}

# Status -> (response component, description, its body's schema ("A|B": one of the two
# components), headers).
REFUSALS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "400": (
        "BadRequest",
        "Bad input: a field missing, of the wrong type or refused by a rule of the product "
        "(FieldErrors), or a body that cannot be read at all: not JSON, nested too deep "
        "(Error). Nothing was changed.",
        "FieldErrors|Error",
        {},
    ),
    "401": (
        "Unauthorized",
        "No credentials, or ones that are not valid: send `Authorization: Token <token>` "
        "(POST /api/auth/token/) or sign in.",
        "Error",
        {
            "WWW-Authenticate": {
                "schema": {"type": "string"},
                "description": "How to authenticate: `Token`",
            }
        },
    ),
    "403": (
        "Forbidden",
        "The signed-in user's role may not do this (e.g. only product managers triage); the "
        "detail says who may.",
        "Error",
        {},
    ),
    "404": (
        "NotFound",
        "No such object (ticket, initiative, session), or a page of a list past its end.",
        "Error",
        {},
    ),
    "409": (
        "Conflict",
        "The change is based on a stale version, or the object is already in the state asked "
        "for (an initiative moved to the status it has, a second review in a month). Nothing "
        "was changed; read it again and decide.",
        "Error",
        {},
    ),
    "429": (
        "TooManyRequests",
        "Too many calls in a short time (the token endpoint allows 10 a minute); try again "
        "after Retry-After seconds.",
        "Error",
        {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 0},
                "description": "Seconds to wait before trying again",
            }
        },
    ),
}


def _requires_a_field(serializer: Any) -> bool:
    fields = force_instance(serializer).fields.values()  # type: ignore[no-untyped-call]
    return any(field.required and not field.read_only for field in fields)


def _schema(names: str) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in names.split("|")]
    return refs[0] if len(refs) == 1 else {"oneOf": refs}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, adding the refusals every operation may answer with."""

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        self._register(ResolvedComponent.SCHEMA, "Error", ERROR)
        self._register(ResolvedComponent.SCHEMA, "FieldErrors", FIELD_ERRORS)
        for status, (name, description, body, headers) in REFUSALS.items():
            media_types = self.map_renderers("media_type")
            response: dict[str, Any] = {
                "description": description,
                "content": {media_type: {"schema": _schema(body)} for media_type in media_types},
            }
            if headers:
                response["headers"] = headers
            self._register(ResolvedComponent.RESPONSE, name, response)
            responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
        return responses

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        if body is None:
            return None
        request = self.get_request_serializer()
        if isinstance(request, PolymorphicProxySerializer):
            # drf-spectacular cannot tell from "one of" shapes whether a body is needed: it is
            # when every shape requires a field.
            shapes = request.serializers
            shapes = shapes.values() if isinstance(shapes, dict) else shapes
            if all(_requires_a_field(shape) for shape in shapes):
                body["required"] = True
        return body

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        if getattr(serializer, "closed_shape", False):
            # One shape of several (a oneOf): its fields and no others, so the shapes exclude
            # each other.
            schema["additionalProperties"] = False
        return schema

    def _register(self, kind: str, name: str, schema: dict[str, Any]) -> None:
        component = ResolvedComponent(name=name, type=kind, schema=schema, object=name)  # type: ignore[no-untyped-call]
        self.registry.register_on_missing(component)
