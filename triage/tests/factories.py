from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from triage.models import Initiative


class InitiativeFactory(DjangoModelFactory[Initiative]):
    class Meta:
        model = Initiative

    title = factory.Sequence(lambda n: f"Initiative {n}")
    description = "What the customers are missing."
