from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from core.embeddings import item_embedding
from triage.models import Initiative


class InitiativeFactory(DjangoModelFactory[Initiative]):
    class Meta:
        model = Initiative

    title = factory.Sequence(lambda n: f"Initiative {n}")
    description = "What the customers are missing."
    # As initiative_create stores it, so similar-feedback search finds factory rows by meaning.
    embedding = factory.LazyAttribute(lambda i: item_embedding(i.title, i.description))
