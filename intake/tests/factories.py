from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from core.embeddings import item_embedding
from intake.models import (
    Comment,
    Contact,
    Customer,
    Importance,
    Kind,
    ProductArea,
    SourceTeam,
    Ticket,
)


class ProductAreaFactory(DjangoModelFactory[ProductArea]):
    class Meta:
        model = ProductArea
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.Sequence(lambda n: f"area-{n}")


class CustomerFactory(DjangoModelFactory[Customer]):
    class Meta:
        model = Customer
        django_get_or_create = ("name_key",)

    name = factory.Sequence(lambda n: f"Company {n}")
    name_key = factory.LazyAttribute(lambda c: " ".join(c.name.split()).casefold())


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")


class TicketFactory(DjangoModelFactory[Ticket]):
    class Meta:
        model = Ticket

    title = factory.Sequence(lambda n: f"Ticket {n}")
    description = "The customer asked for this."
    contact = factory.SubFactory(ContactFactory)
    customer = factory.LazyAttribute(lambda t: t.contact.customer)
    submitted_by = factory.SubFactory(UserFactory)
    source_team = SourceTeam.SALES
    kind = Kind.FEATURE_REQUEST
    importance = Importance.IMPORTANT
    # As ticket_create stores it, so similar-feedback search finds factory rows by meaning.
    embedding = factory.LazyAttribute(lambda t: item_embedding(t.title, t.description))


class CommentFactory(DjangoModelFactory[Comment]):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SubFactory(UserFactory)
    body = "Some context."


# What a rep types to file a ticket (the keyword arguments of ticket_create).
FILED: dict[str, Any] = {
    "title": "Export invoices as CSV",
    "description": "Finance needs every invoice as CSV.",
    "company": "Acme Corp",
    "email": "Jane.Doe@ACME.example",
    "contact_name": "Jane Doe",
    "source_team": "sales",
    "kind": "feature_request",
    "importance": "critical",
}
