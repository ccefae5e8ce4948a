from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class Team(models.TextChoices):
    SALES = "sales", "Sales"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
    ONBOARDING = "onboarding", "Onboarding"
    SUPPORT = "support", "Support"
    PRODUCT = "product", "Product"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    SUBMITTER = "submitter", "Submitter"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    FACILITATOR = "facilitator", "Facilitator"
    ADMIN = "admin", "Admin"


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"“{value}” is not a time zone (try Europe/Berlin).") from exc


class User(AbstractUser):
    """A member of staff. What they may do follows from `role` (see accounts.permissions)."""

    team = models.CharField(max_length=32, choices=Team.choices, default=Team.OTHER)
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.SUBMITTER)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone], help_text="IANA name"
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def effective_role(self) -> Role:
        return Role.ADMIN if self.is_superuser else Role(self.role)
