"""Who single sign-on signs in: the person an identity provider vouches for, found by their
identity (issuer and subject) or their email, or made on their first sign-in, with the role and
team their groups map to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

import audit
from accounts.models import Role, Team, User
from audit.actions import Action
from audit.services import changes_between
from sso.models import GroupMapping, SsoIdentity
from sso.provider import SsoRefused, provider_name

# Highest first: a member of several mapped groups gets the first of these that applies.
_ROLE_RANK = [Role.ADMIN, Role.PRODUCT_MANAGER, Role.FACILITATOR, Role.SUBMITTER]


def allowed_domain(email: str) -> bool:
    domain = email.rpartition("@")[2].lower()
    return bool(domain) and domain in settings.OIDC_ALLOWED_DOMAINS


def access_for_groups(groups: Iterable[str]) -> tuple[Role, str] | None:
    """The role and team the mappings give members of these groups (team "" when none names
    one), or None when no mapping names any of them."""
    names = {str(group) for group in groups}
    mappings = [m for m in GroupMapping.objects.all() if m.group in names]
    if not mappings:
        return None
    role = next(r for r in _ROLE_RANK if any(m.role == r for m in mappings))
    team = next((m.team for m in mappings if m.team), "")
    return role, team


def _groups(claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, str | int)]
    return []


def _team_from_claim(claims: dict[str, Any]) -> str:
    value = str(claims.get(settings.OIDC_TEAM_CLAIM) or "").strip().lower()
    for team in Team:
        if value in (team.value, team.label.lower()):
            return team.value
    return ""


def _username(claims: dict[str, Any], email: str) -> str:
    for candidate in (str(claims.get("preferred_username") or ""), email):
        candidate = candidate.strip()
        if not candidate or len(candidate) > 150:
            continue
        try:
            User.username_validator(candidate)
        except ValidationError:
            continue
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    base = email.partition("@")[0][:100] or "user"
    n = 2
    while User.objects.filter(username__iexact=f"{base}-{n}").exists():
        n += 1
    return f"{base}-{n}"


def _checked_email(claims: dict[str, Any]) -> str:
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise SsoRefused(
            "no_email",
            f"{provider_name()} did not say what your email address is, so FeedbackLoop cannot "
            "tell who you are. Ask your IT team to release the email claim to FeedbackLoop.",
        )
    # A provider that says the address is unverified is not vouching for it. (Microsoft Entra
    # ID sends no such claim: its addresses come from the company's own directory.)
    if "email_verified" in claims and claims["email_verified"] not in (True, "true"):
        raise SsoRefused(
            "email_unverified",
            f"{provider_name()} says your email address {email} is not verified yet. Verify it "
            "there, then sign in again.",
            email=email,
        )
    if not allowed_domain(email):
        raise SsoRefused(
            "domain",
            f"{email} is not an address of the company this FeedbackLoop belongs to, so it "
            "cannot sign in here. Sign in with your work account.",
            email=email,
        )
    return email


@transaction.atomic
def sso_sign_in(*, issuer: str, claims: dict[str, Any]) -> User:
    """The person these verified claims name: linked by issuer and subject, else found by email
    (and linked), else made now as the mappings (or the team claim) say. Raises SsoRefused, with
    nothing changed, for an address outside the allowed domains, an unverified one, or a
    deactivated person."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SsoRefused("no_subject", f"{provider_name()} sent an answer without a subject.")
    email = _checked_email(claims)
    groups = _groups(claims)
    identity = (
        SsoIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    user = identity.user if identity else User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        raise SsoRefused(
            "deactivated",
            "Your FeedbackLoop account is deactivated. If you still need it, ask an admin.",
            email=email,
        )
    access = access_for_groups(groups)
    if user is None:
        user = _user_create(claims=claims, email=email, groups=groups, access=access)
    elif access is not None:
        access_apply(user=user, access=access, groups=groups)
    if identity is None:
        identity = SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    identity.last_login_at = timezone.now()
    identity.save(update_fields=["last_login_at"])
    return user


def _user_create(
    *, claims: dict[str, Any], email: str, groups: list[str], access: tuple[Role, str] | None
) -> User:
    role, team = access if access else (Role.SUBMITTER, "")
    team = team or _team_from_claim(claims) or Team.OTHER
    user = User(
        username=_username(claims, email),
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
        role=role,
        team=team,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_unusable_password()  # they sign in through the provider only
    user.save()
    audit.record(
        Action.USER_CREATED,
        actor=user,
        target=user,
        changes={"via": "sso", "role": role, "team": team, "groups": groups},
    )
    return user


def access_apply(
    *, user: User, access: tuple[Role, str], groups: list[str], via: str = "sso"
) -> None:
    """The provider's groups decide the role (and team, where mapped): at each sign-in, and
    when SCIM changes a group's members."""
    role, team = access
    before = {
        "role": user.role,
        "team": user.team,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }
    user.role = role
    user.team = team or user.team
    user.is_staff = user.is_superuser = role == Role.ADMIN
    after = {
        "role": user.role,
        "team": user.team,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }
    changed = changes_between(before, after)
    if changed:
        user.save(update_fields=list(changed))
        audit.record(
            Action.ROLE_CHANGED,
            actor=None,
            actor_name=f"{provider_name()} (groups)" if via == "sso" else "SCIM (groups)",
            target=user,
            changes={**changed, "via": via, "groups": groups},
        )


def sso_refusal_record(*, refusal: SsoRefused) -> None:
    """A sign-in through the provider that was refused, in the audit log."""
    audit.record(
        Action.LOGIN_FAILED,
        actor_name=refusal.email,
        target_label=refusal.email,
        changes={"method": "sso", "reason": refusal.reason},
    )


_MAPPING_FIELDS = ("group", "role", "team", "position")


@transaction.atomic
def group_mapping_save(*, by: User, mapping: GroupMapping) -> GroupMapping:
    """Save an admin's group → role mapping (Django admin), noting the change in the audit log."""
    stored = GroupMapping.objects.filter(pk=mapping.pk).first() if mapping.pk else None
    before = {name: getattr(stored, name) for name in _MAPPING_FIELDS} if stored else {}
    mapping.save()
    after = {name: getattr(mapping, name) for name in _MAPPING_FIELDS}
    audit.record(
        Action.SSO_MAPPING_CHANGED,
        actor=by,
        target=mapping,
        changes=changes_between(before, after),
    )
    return mapping


@transaction.atomic
def group_mapping_delete(*, by: User, mapping: GroupMapping) -> None:
    before = {name: getattr(mapping, name) for name in _MAPPING_FIELDS}
    audit.record(
        Action.SSO_MAPPING_CHANGED,
        actor=by,
        target=mapping,
        changes={name: [value, None] for name, value in before.items()},
    )
    mapping.delete()
