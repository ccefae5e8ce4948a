from __future__ import annotations

import secrets
from typing import TypeVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Cast

from core.embeddings import VECTOR_BYTES

_M = TypeVar("_M", bound=models.Model)


def title_description_search_vector() -> models.GeneratedField:
    """A stored full-text vector of `title` (weight A) and `description` (weight B).

    Tickets and initiatives share it so similar-feedback search ranks both the same way.
    """
    return models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("description", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )


class SourceTeam(models.TextChoices):
    SALES = "sales", "Sales"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
    ONBOARDING = "onboarding", "Onboarding"
    SUPPORT = "support", "Support"
    OTHER = "other", "Other"


class TicketSource(models.TextChoices):
    """Which way a ticket came in: typed in the browser, sent over the API, forwarded by email,
    filed from a Slack message or imported from a file (transfer)."""

    WEB = "web", "Web form"
    API = "api", "API"
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    IMPORT = "import", "Imported file"


class Kind(models.TextChoices):
    BUG = "bug", "Bug"
    FEATURE_REQUEST = "feature_request", "Feature request"
    FRICTION = "friction", "Friction point"
    OTHER = "other", "Other"


class Importance(models.TextChoices):
    NICE_TO_HAVE = "nice_to_have", "Nice to have"
    IMPORTANT = "important", "Important"
    CRITICAL = "critical", "Critical"


IMPORTANCE_RANK = {Importance.NICE_TO_HAVE: 1, Importance.IMPORTANT: 2, Importance.CRITICAL: 3}


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    NEEDS_INFO = "needs_info", "Needs info"
    SNOOZED = "snoozed", "Snoozed"
    LINKED = "linked", "Linked"
    DUPLICATE = "duplicate", "Duplicate"
    DECLINED = "declined", "Declined"

    @classmethod
    def untriaged(cls) -> tuple[TicketStatus, ...]:
        """Waiting for a product manager to act; the submitter may still edit them."""
        return (cls.NEW, cls.NEEDS_INFO, cls.SNOOZED)

    @classmethod
    def counted(cls) -> tuple[TicketStatus, ...]:
        """Counting for their initiative: linked to it, or a duplicate of a ticket there."""
        return (cls.LINKED, cls.DUPLICATE)


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMB = "smb", "Small business"
    STARTUP = "startup", "Startup"
    OTHER = "other", "Other"


class ProductArea(models.Model):
    """Admin-managed list of the parts of the product feedback is about."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A customer company. `name_key` keeps one row per company whatever the spelling."""

    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, unique=True, editable=False)
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.OTHER)
    annual_revenue = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Annual revenue, USD"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["name_key"], name="customer_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_unnamed(self) -> bool:
        """Known only by a contact's personal address (an emailed ticket from a gmail.com
        sender): its submitter is asked to name the company (services.ticket_company_name)."""
        return "@" in self.name


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(24)


class Contact(models.Model):
    """A person at a customer; the one told when their ask ships."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, unique=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bouncing = models.BooleanField(default=False)
    # Opaque and unguessable; the unsubscribe link carries it signed (intake.selectors).
    unsubscribe_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_unsubscribe_token,
        # Rows loaded in bulk (COPY, raw SQL) get a random one from the database.
        db_default=Cast(RandomUUID(), output_field=models.CharField()),
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class WithoutEmbedding(models.Manager[_M]):
    """Rows without their `embedding` (1.5 KB each) unless asked for: only similar-feedback
    search reads it, and every list would otherwise carry it."""

    def get_queryset(self) -> models.QuerySet[_M]:
        return super().get_queryset().defer("embedding")


def embedding_field() -> models.BinaryField[bytes | None, bytes | memoryview | None]:
    """A ticket's or initiative's sentence vector: 384 float32 (core.embeddings), written with
    its title and description in the same transaction; null until `embed_backfill` for rows
    written another way."""
    return models.BinaryField(null=True, blank=True, editable=False)


def embedding_size() -> models.Func:
    """A row's stored vector's length in bytes (annotate it as `embedding_size`)."""
    return models.Func("embedding", function="octet_length", output_field=models.IntegerField())


def without_current_vector() -> Q:
    """Rows (annotated with `embedding_size`) without a vector of this model: none yet, or
    another model's, which has another length (core.embeddings.is_current)."""
    return Q(embedding__isnull=True) | ~Q(embedding_size=VECTOR_BYTES)


class Ticket(models.Model):
    """One ask from one customer, filed by a member of staff."""

    title = models.CharField(max_length=200)
    description = models.TextField()
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="tickets")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    source_team = models.CharField(max_length=20, choices=SourceTeam.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    importance = models.CharField(max_length=20, choices=Importance.choices)
    importance_rank = models.GeneratedField(
        expression=Case(
            When(importance=Importance.CRITICAL, then=Value(3)),
            When(importance=Importance.IMPORTANT, then=Value(2)),
            default=Value(1),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    revenue_at_stake = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    product_area = models.ForeignKey(
        ProductArea, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    initiative = models.ForeignKey(
        "triage.Initiative",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    # The database defaults serve rows loaded in bulk (COPY), as for the unsubscribe token.
    source = models.CharField(
        max_length=10,
        choices=TicketSource.choices,
        default=TicketSource.WEB,
        db_default=TicketSource.WEB,
    )
    # Where it came from, to find the original: an email's Message-ID, a Slack permalink.
    source_reference = models.CharField(max_length=500, blank=True, default="", db_default="")
    # Who wrote the original and when (the forwarded email's sender and date, the Slack
    # message's author and time); blank and null for the web form and the API.
    source_sender = models.CharField(max_length=320, blank=True, default="", db_default="")
    source_sent_at = models.DateTimeField(null=True, blank=True)
    # The customer's segment, copied by the database on every write (intake/migrations/0010):
    # the board filters by it along an index of tickets instead of joining each customer.
    customer_segment = models.CharField(
        max_length=20, choices=Segment.choices, default="", db_default="", editable=False
    )
    decline_reason = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = title_description_search_vector()
    embedding = embedding_field()

    objects = WithoutEmbedding["Ticket"]()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="ticket_search"),
            # Similar-feedback search keeps its copy of the vectors in step by what changed,
            # and finds rows without a vector yet by their words (empty once backfilled).
            models.Index(fields=["updated_at"], name="ticket_changed"),
            GinIndex(
                fields=["search_vector"],
                condition=Q(embedding__isnull=True),
                name="ticket_search_unembedded",
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_newest"),
            models.Index(fields=["submitted_by", "-created_at"], name="ticket_by_submitter"),
            models.Index(fields=["status", "-importance_rank", "created_at"], name="ticket_inbox"),
            models.Index(fields=["initiative", "customer"], name="ticket_initiative_customer"),
            # An initiative's page: who asks, most important first, and the revenue at stake,
            # read from the index alone (an initiative's tickets are spread over the table).
            models.Index(
                fields=["initiative", "customer"],
                include=["importance_rank", "revenue_at_stake"],
                condition=models.Q(status__in=[str(s) for s in TicketStatus.counted()]),
                name="ticket_initiative_asks",
            ),
            # The insights page's inbox health: the oldest waiting tickets, and the middle ones
            # from a day on (insights.figures.inbox_health), in the order they came in.
            models.Index(
                fields=["created_at"],
                include=["source_team", "source", "product_area"],
                condition=Q(status="new"),
                name="ticket_waiting_since",
            ),
            # Where the work shipped in a period came from, and how soon its customers were told
            # (insights.figures.shipped_from, closed_loop): the counted tickets of a few hundred
            # initiatives, read from the index alone instead of tens of thousands of heap pages.
            models.Index(
                fields=["initiative"],
                include=[
                    "id",
                    "customer",
                    "contact",
                    "source_team",
                    "source",
                    "product_area",
                    "created_at",
                    "customer_segment",
                ],
                condition=models.Q(status__in=[str(s) for s in TicketStatus.counted()]),
                name="ticket_counted_by_initiative",
            ),
            # The board's filters by period, team and segment (triage.selectors.board): an
            # initiative's latest asks, and the asks since a day; PostgreSQL picks either way
            # in (each of 20,000 initiatives, or the tickets of the period).
            models.Index(
                fields=["initiative", "created_at"],
                include=["source_team", "customer_segment"],
                condition=models.Q(status__in=[str(s) for s in TicketStatus.counted()]),
                name="ticket_counted_recent",
            ),
            models.Index(
                fields=["created_at"],
                include=["initiative", "source_team", "customer_segment"],
                condition=models.Q(status__in=[str(s) for s in TicketStatus.counted()]),
                name="ticket_counted_since",
            ),
            # The board's filters: which initiatives have counted asks from a team since a day.
            models.Index(
                fields=["initiative", "source_team", "created_at"],
                condition=Q(status__in=list(TicketStatus.counted())),
                name="ticket_counted_asks",
            ),
        ]
        constraints = [
            # One ticket per email however often it is delivered, by whichever way in: the
            # database refuses the second, so two deliveries racing cannot both file.
            models.UniqueConstraint(
                fields=["source_reference"],
                condition=Q(source="email"),
                name="ticket_one_per_email",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_untriaged(self) -> bool:
        return self.status in TicketStatus.untriaged()

    @property
    def shipped(self) -> bool:
        """It counts for an initiative that shipped: what its submitter reads first, in place
        of "Linked". (Intake sits below triage, so it names the initiative's status by its
        value, as its foreign key names the model by string.)"""
        return (
            self.status in TicketStatus.counted()
            and self.initiative is not None
            and self.initiative.status == "shipped"
        )


class CommentKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"


class Comment(models.Model):
    """A message in a ticket's thread: context, a PM's question, or the submitter's answer."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    kind = models.CharField(max_length=10, choices=CommentKind.choices, default=CommentKind.COMMENT)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.ticket_id}"
