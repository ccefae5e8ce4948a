"""Writes on people."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from accounts.models import Role, Team, User, validate_time_zone
from core.errors import DomainError


def user_ensure(
    *,
    username: str,
    password: str,
    role: Role,
    team: Team,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Create the user, or bring an existing one back to these details (used by seed_demo)."""
    user, _ = User.objects.get_or_create(username=username)
    user.role = role
    user.team = team
    user.first_name = first_name
    user.last_name = last_name
    user.email = email
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.set_password(password)
    user.save()
    return user


def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """The person's own time zone: times are shown, and typed, in it."""
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="time_zone") from exc
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    return user


def user_password_set(*, user: User, password: str) -> User:
    """A new password the person chose (already checked against the validators)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
