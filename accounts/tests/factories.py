from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, Team, User


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@staff.example")
    role = Role.SUBMITTER
    team = Team.SALES
    password = factory.django.Password("pw")
