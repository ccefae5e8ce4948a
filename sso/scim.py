"""SCIM 2.0 (django-scim2) at /scim/v2/: how the provider's SCIM client is let in (a bearer
token an admin made), and how a SCIM User maps onto a person here. The writes themselves are
sso.provisioning's."""

from __future__ import annotations

import re
from typing import Any

from django_scim import constants, exceptions
from django_scim.adapters import SCIMGroup, SCIMMixin, SCIMUser

from core.errors import DomainError
from sso.models import ScimGroup, ScimLink
from sso.provisioning import scim_group_delete, scim_group_save, scim_user_save
from sso.scim_filters import GroupFilter, UserFilter

# Attributes a provider sends that FeedbackLoop has no place for: taken, not kept.
_IGNORED = {
    "displayname",
    "name.formatted",
    "title",
    "preferredlanguage",
    "locale",
    "nickname",
    "timezone",
    "usertype",
    "profileurl",
    "phonenumbers",
    "addresses",
    "roles",
    "groups",
    "password",
    "schemas",
    "meta",
    "id",
    "name.middlename",
    "name.honorificprefix",
    "name.honorificsuffix",
    "entitlements",
    "x509certificates",
    "ims",
    "photos",
}


def _bool(value: Any, path: str) -> bool:
    # Entra ID has sent "True"/"False" as strings; the spec's JSON booleans are taken too.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise exceptions.BadRequestError(f'"{path}" must be true or false.', scim_type="invalidValue")


def _email(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("value") or "")
    if isinstance(value, list) and value:
        entries = [e for e in value if isinstance(e, dict)]
        chosen = (
            next((e for e in entries if e.get("primary")), None)
            or next((e for e in entries if e.get("type") == "work"), None)
            or (entries[0] if entries else None)
        )
        if chosen is not None:
            return str(chosen.get("value") or "")
    raise exceptions.BadRequestError("emails must hold an address.", scim_type="invalidValue")


class ScimUserAdapter(SCIMUser):  # type: ignore[misc]
    """A person as a SCIM User: id is their id here; userName, name, emails, active and
    externalId are kept; other attributes are accepted and not kept."""

    id_field = "id"
    ATTR_MAP = UserFilter.attr_map
    obj: Any

    def __init__(self, obj: Any, request: Any = None) -> None:
        super().__init__(obj, request)
        self.fields: dict[str, Any] = {}

    @property
    def groups(self) -> list[dict[str, Any]]:
        if self.obj.pk is None:
            return []
        return [
            {"value": str(group.pk), "display": group.display_name}
            for group in ScimGroup.objects.filter(members=self.obj)
        ]

    def to_dict(self) -> dict[str, Any]:
        link = ScimLink.objects.filter(user_id=self.obj.pk).first()
        return {
            "schemas": [constants.SchemaURI.USER],
            "id": self.id,
            "externalId": link.external_id if link and link.external_id else None,
            "userName": self.obj.username,
            "name": {
                "givenName": self.obj.first_name,
                "familyName": self.obj.last_name,
                "formatted": self.display_name,
            },
            "displayName": self.display_name,
            "emails": [{"value": self.obj.email, "primary": True, "type": "work"}]
            if self.obj.email
            else [],
            "active": self.obj.is_active,
            "groups": self.groups,
            "meta": self.meta,
        }

    def validate_dict(self, d: Any) -> None:
        if not isinstance(d, dict):
            raise exceptions.BadRequestError("The body must be a JSON object.")
        if not d.get("userName") or not isinstance(d.get("userName"), str):
            raise exceptions.BadRequestError("userName is required.", scim_type="invalidValue")

    def from_dict(self, d: dict[str, Any]) -> None:
        for key, value in d.items():
            self._take(key, value)

    def _take(self, key: str, value: Any) -> None:
        path = key.strip()
        lowered = path.lower()
        if lowered.startswith("urn:") and not lowered.startswith(
            "urn:ietf:params:scim:schemas:core:2.0:user:"
        ):
            return  # an extension's attribute (Entra's enterprise user): not kept
        lowered = lowered.removeprefix("urn:ietf:params:scim:schemas:core:2.0:user:")
        if lowered == "active":
            self.fields["is_active"] = _bool(value, path)
        elif lowered == "username":
            self.fields["username"] = str(value or "")
        elif lowered in ("name.givenname", "givenname"):
            self.fields["first_name"] = str(value or "")
        elif lowered in ("name.familyname", "familyname"):
            self.fields["last_name"] = str(value or "")
        elif lowered == "name" and isinstance(value, dict):
            for sub, sub_value in value.items():
                if sub in ("givenName", "familyName"):
                    self._take(f"name.{sub}", sub_value)
        elif lowered == "externalid":
            self.fields["external_id"] = str(value or "")[:254]
        elif lowered == "emails" or lowered.startswith("emails["):
            self.fields["email"] = _email(value)
        elif lowered.split("[")[0] in _IGNORED or lowered in _IGNORED:
            return
        else:
            raise exceptions.BadRequestError(
                f'"{path}" is not an attribute FeedbackLoop knows.', scim_type="invalidPath"
            )

    def handle_operations(self, operations: Any) -> None:
        if not isinstance(operations, list):
            raise exceptions.BadRequestError("Operations must be a list.")
        for operation in operations:
            if not isinstance(operation, dict):
                raise exceptions.BadRequestError("Each operation must be an object.")
            op = str(operation.get("op", "")).lower()
            path, value = operation.get("path"), operation.get("value")
            if op not in ("add", "replace", "remove"):
                raise exceptions.BadRequestError(
                    f'Unknown PATCH op "{op}".', scim_type="invalidSyntax"
                )
            if op == "remove":
                if not path:
                    raise exceptions.BadRequestError("remove needs a path.", scim_type="noTarget")
                value = False if str(path).lower() == "active" else ""
            if path:
                self._take(str(path), value)
            elif isinstance(value, dict):
                self.from_dict(value)
            else:
                raise exceptions.BadRequestError(
                    "An operation without a path needs an object value.", scim_type="invalidSyntax"
                )
        self.save()

    def save(self) -> None:
        token = self.request.scim_token
        try:
            self.obj = scim_user_save(user=self.obj, fields=self.fields, token=token)
        except DomainError as error:
            if error.code == "conflict":
                raise exceptions.IntegrityError(error.message, scim_type="uniqueness") from error
            raise exceptions.BadRequestError(error.message, scim_type="invalidValue") from error

    def delete(self) -> None:
        # The account stays (their tickets and decisions keep their name): it is deactivated.
        self.fields = {"is_active": False}
        self.save()


def _member_ids(value: Any) -> list[str]:
    entries = value if isinstance(value, list) else [value]
    ids = []
    for entry in entries:
        if not isinstance(entry, dict) or "value" not in entry:
            raise exceptions.BadRequestError(
                'members are objects with a "value" (a user id).', scim_type="invalidValue"
            )
        ids.append(str(entry["value"]))
    return ids


class ScimGroupAdapter(SCIMMixin):  # type: ignore[misc]
    """A SCIM Group: its name, externalId and members (people by their id here)."""

    id_field = "id"
    url_name = "scim:groups"
    resource_type = "Group"
    ATTR_MAP = GroupFilter.attr_map
    obj: Any

    def __init__(self, obj: Any, request: Any = None) -> None:
        super().__init__(obj, request)
        self.fields: dict[str, Any] = {}
        self.member_changes: list[tuple[str, list[str]]] = []

    @property
    def display_name(self) -> str:
        return str(self.obj.display_name)

    def to_dict(self) -> dict[str, Any]:
        members = list(self.obj.members.all()) if self.obj.pk else []
        return {
            "schemas": [constants.SchemaURI.GROUP],
            "id": self.id,
            "externalId": self.obj.external_id or None,
            "displayName": self.obj.display_name,
            "members": [{"value": str(m.pk), "display": m.username} for m in members],
            "meta": {
                "resourceType": self.resource_type,
                "created": self.obj.created_at.isoformat(),
                "lastModified": self.obj.created_at.isoformat(),
                "location": self.location,
            },
        }

    @classmethod
    def resource_type_dict(cls, request: Any = None) -> dict[str, Any]:
        return SCIMGroup.resource_type_dict(request)  # type: ignore[no-any-return]

    def validate_dict(self, d: Any) -> None:
        if not isinstance(d, dict):
            raise exceptions.BadRequestError("The body must be a JSON object.")
        if not d.get("displayName") or not isinstance(d.get("displayName"), str):
            raise exceptions.BadRequestError("displayName is required.", scim_type="invalidValue")

    def from_dict(self, d: dict[str, Any]) -> None:
        self.fields["display_name"] = d["displayName"]
        if "externalId" in d:
            self.fields["external_id"] = d.get("externalId") or ""
        self.member_changes.append(("set", _member_ids(d.get("members") or [])))

    def handle_operations(self, operations: Any) -> None:
        if not isinstance(operations, list):
            raise exceptions.BadRequestError("Operations must be a list.")
        for operation in operations:
            if not isinstance(operation, dict):
                raise exceptions.BadRequestError("Each operation must be an object.")
            op = str(operation.get("op", "")).lower()
            path = str(operation.get("path") or "")
            value = operation.get("value")
            if op not in ("add", "replace", "remove"):
                raise exceptions.BadRequestError(
                    f'Unknown PATCH op "{op}".', scim_type="invalidSyntax"
                )
            lowered = path.lower()
            if not path and isinstance(value, dict):
                # Okta: {"op": "replace", "value": {"id": …, "displayName": …}}
                if "displayName" in value:
                    self.fields["display_name"] = value["displayName"]
                if "externalId" in value:
                    self.fields["external_id"] = value["externalId"]
                if "members" in value:
                    self.member_changes.append(
                        ("set" if op == "replace" else "add", _member_ids(value["members"]))
                    )
            elif lowered == "displayname" and op != "remove":
                self.fields["display_name"] = value
            elif lowered == "externalid":
                self.fields["external_id"] = "" if op == "remove" else value
            elif lowered == "members":
                if op == "remove" and value is None:
                    self.member_changes.append(("set", []))
                else:
                    kind = {"add": "add", "replace": "set", "remove": "remove"}[op]
                    self.member_changes.append((kind, _member_ids(value)))
            elif op == "remove" and lowered.startswith("members[value eq "):
                # Okta: {"op": "remove", "path": "members[value eq \"<id>\"]"}
                found = re.fullmatch(r'members\[value eq "([^"]*)"\]', path, flags=re.IGNORECASE)
                if found is None:
                    raise exceptions.BadRequestError(
                        f'Cannot read "{path}".', scim_type="invalidPath"
                    )
                self.member_changes.append(("remove", [found.group(1)]))
            else:
                raise exceptions.BadRequestError(
                    f'"{path}" is not a group attribute FeedbackLoop changes.',
                    scim_type="invalidPath",
                )
        self.save()

    def save(self) -> None:
        try:
            self.obj = scim_group_save(
                group=self.obj,
                fields=self.fields,
                member_changes=self.member_changes,
                token=self.request.scim_token,
            )
        except DomainError as error:
            if error.code == "conflict":
                raise exceptions.IntegrityError(error.message, scim_type="uniqueness") from error
            raise exceptions.BadRequestError(error.message, scim_type="invalidValue") from error

    def delete(self) -> None:
        scim_group_delete(group=self.obj, token=self.request.scim_token)
