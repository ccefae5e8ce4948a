"""Writes on people."""

from __future__ import annotations

from accounts.models import Role, Team, User


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
