"""SCIM provisioning's writes: the bearer tokens an admin makes for the provider, and the people
the provider adds, changes, deactivates and reactivates. Deactivating someone ends their
sessions and revokes their API tokens at once; their tickets, comments and decisions stay, with
their name, as the account is never deleted."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import Role, Team, User
from accounts.permissions import Capability, ensure_can
from audit.actions import Action
from audit.services import changes_between
from core.errors import DomainError
from core.text import line_clean
from people.services import user_access_end
from sso.models import ScimGroup, ScimLink, ScimToken
from sso.services import access_apply, access_for_groups

_PREFIX_SHOWN = 10
USER_FIELDS = ("username", "email", "first_name", "last_name")


def scim_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def scim_token_create(*, name: str, by: User | None) -> tuple[ScimToken, str]:
    """A new SCIM bearer token (by an admin, or by `manage.py scim_token create` when `by` is
    None); returns it and its key, shown this once."""
    if by is not None:
        ensure_can(by, Capability.ADMINISTER)
    name = line_clean(name, field="name", label="The name", limit=100, required=True)
    key = "scim_" + secrets.token_urlsafe(32)
    token = ScimToken.objects.create(
        name=name, prefix=key[:_PREFIX_SHOWN], key_hash=scim_key_hash(key), created_by=by
    )
    audit.record(
        Action.SCIM_TOKEN_CREATED,
        actor=by,
        actor_name="" if by else "manage.py scim_token",
        target=token,
        changes={"name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, by: User | None) -> ScimToken:
    """Revoke a SCIM token: the provider's next call with it is answered 401."""
    if by is not None:
        ensure_can(by, Capability.ADMINISTER)
    current = ScimToken.objects.select_for_update().get(pk=token.pk)
    if current.revoked_at is not None:
        raise DomainError(f"“{current.name}” was already revoked.", code="conflict")
    current.revoked_at = timezone.now()
    current.save(update_fields=["revoked_at"])
    audit.record(
        Action.SCIM_TOKEN_REVOKED,
        actor=by,
        actor_name="" if by else "manage.py scim_token",
        target=current,
        changes={"name": current.name, "prefix": current.prefix},
    )
    return current


def scim_token_for_key(*, key: str) -> ScimToken | None:
    """The live token a bearer key is, noting its use (at most once a minute)."""
    if not key or len(key) > 200:
        return None
    token = ScimToken.objects.filter(key_hash=scim_key_hash(key), revoked_at__isnull=True).first()
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _clean(fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned = dict(fields)
    if "username" in cleaned or creating:
        username = str(cleaned.get("username") or "").strip()
        if not username:
            raise DomainError("userName is required.", field="userName")
        try:
            User.username_validator(username)
        except ValidationError as exc:
            raise DomainError(f"userName: {' '.join(exc.messages)}", field="userName") from exc
        if len(username) > 150:
            raise DomainError("userName is at most 150 characters.", field="userName")
        cleaned["username"] = username
    for name in ("first_name", "last_name"):
        if name in cleaned:
            cleaned[name] = str(cleaned[name] or "")[:150]
    if "email" in cleaned:
        cleaned["email"] = str(cleaned["email"] or "").strip().lower()
    return cleaned


@transaction.atomic
def scim_user_save(*, user: User, fields: dict[str, Any], token: ScimToken) -> User:
    """Create (an unsaved `user`) or change a person as the provider says: username, email,
    names, active, externalId. A deactivation ends their access at once."""
    creating = user.pk is None
    fields = _clean(fields, creating=creating)
    username = fields.get("username")
    if username and User.objects.filter(username__iexact=username).exclude(pk=user.pk).exists():
        raise DomainError(f"userName “{username}” is taken.", code="conflict")
    actor_name = f"SCIM: {token.name}"
    if creating:
        user.role, user.team = Role.SUBMITTER, Team.OTHER
        for name in USER_FIELDS:
            setattr(user, name, fields.get(name, ""))
        user.is_active = bool(fields.get("is_active", True))
        user.set_unusable_password()  # they sign in through the provider
        user.save()
        ScimLink.objects.create(user=user, external_id=fields.get("external_id") or "")
        audit.record(
            Action.USER_CREATED,
            actor_name=actor_name,
            target=user,
            changes={"via": "scim", **{name: fields.get(name, "") for name in USER_FIELDS}},
        )
        return user
    before = {name: getattr(user, name) for name in (*USER_FIELDS, "is_active")}
    for name in (*USER_FIELDS, "is_active"):
        if name in fields:
            setattr(user, name, fields[name])
    after = {name: getattr(user, name) for name in (*USER_FIELDS, "is_active")}
    changed = changes_between(before, after)
    if changed:
        user.save(update_fields=list(changed))
    if "external_id" in fields:
        ScimLink.objects.update_or_create(
            user=user, defaults={"external_id": fields["external_id"] or ""}
        )
    details = {k: v for k, v in changed.items() if k != "is_active"}
    if details:
        audit.record(
            Action.USER_CHANGED,
            actor_name=actor_name,
            target=user,
            changes={**details, "via": "scim"},
        )
    if "is_active" in changed:
        if not user.is_active:
            user_access_end(user=user, reason="deactivated over SCIM")
        audit.record(
            Action.USER_REACTIVATED if user.is_active else Action.USER_DEACTIVATED,
            actor_name=actor_name,
            target=user,
            changes={"is_active": changed["is_active"], "via": "scim"},
        )
    return user


def _member_access_refresh(users: list[User]) -> None:
    """Bring each person's role and team in line with the SCIM groups they are in, where a
    mapping names one of them (otherwise their role is left as it is)."""
    for user in users:
        groups = list(ScimGroup.objects.filter(members=user))
        names = [g.display_name for g in groups] + [g.external_id for g in groups if g.external_id]
        access = access_for_groups(names)
        if access is not None:
            access_apply(user=user, access=access, groups=sorted(names), via="scim")


@transaction.atomic
def scim_group_save(
    *,
    group: ScimGroup,
    fields: dict[str, Any],
    member_changes: list[tuple[str, list[str]]],
    token: ScimToken,
) -> ScimGroup:
    """Create or change a group as the provider says: its name, externalId and members
    (`member_changes`: ("set" | "add" | "remove", person ids)); its members' roles follow."""
    creating = group.pk is None
    name = str(fields.get("display_name", group.display_name) or "").strip()
    if not name:
        raise DomainError("displayName is required.", field="displayName")
    if ScimGroup.objects.filter(display_name=name).exclude(pk=group.pk).exists():
        raise DomainError(f"A group “{name}” exists.", code="conflict")
    before_name = group.display_name
    group.display_name = name[:200]
    if "external_id" in fields:
        group.external_id = str(fields["external_id"] or "")[:254]
    group.save()
    before = set(group.members.values_list("pk", flat=True)) if not creating else set()
    members = set(before)
    for kind, ids in member_changes:
        chosen = {int(i) for i in ids if str(i).isdigit()}
        known = set(User.objects.filter(pk__in=chosen).values_list("pk", flat=True))
        if chosen - known:
            raise DomainError(
                f"No such user: {', '.join(str(i) for i in sorted(chosen - known))}.",
                field="members",
            )
        if kind == "set":
            members = set(known)
        elif kind == "add":
            members |= known
        else:
            members -= known
    group.members.set(members)
    changes: dict[str, Any] = {"via": "scim"}
    if creating or before_name != group.display_name:
        changes["display_name"] = [None if creating else before_name, group.display_name]
    if members - before:
        changes["added"] = sorted(members - before)
    if before - members:
        changes["removed"] = sorted(before - members)
    audit.record(
        Action.SCIM_GROUP_CHANGED, actor_name=f"SCIM: {token.name}", target=group, changes=changes
    )
    _member_access_refresh(list(User.objects.filter(pk__in=members | before)))
    return group


@transaction.atomic
def scim_group_delete(*, group: ScimGroup, token: ScimToken) -> None:
    members = list(group.members.all())
    audit.record(
        Action.SCIM_GROUP_CHANGED,
        actor_name=f"SCIM: {token.name}",
        target=group,
        changes={"via": "scim", "display_name": [group.display_name, None]},
    )
    group.delete()
    _member_access_refresh(members)
