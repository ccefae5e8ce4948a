from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class SessionKind(models.TextChoices):
    MONTHLY_REVIEW = "monthly_review", "Monthly review"
    WORKSHOP = "workshop", "Workshop"


class Topic(models.TextChoices):
    FRICTION_POINTS = "friction_points", "Friction points"
    UNDERSERVED_USE_CASES = "underserved_use_cases", "Underserved use cases"
    NEW_PERSONAS = "new_personas", "New customer personas"
    OTHER = "other", "Other"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Session(models.Model):
    """A monthly feedback review or a topic workshop: when, where, who, and what came of it."""

    kind = models.CharField(max_length=20, choices=SessionKind.choices)
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=30, choices=Topic.choices, blank=True)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField(help_text="Stored in UTC, shown in each person's zone")
    duration_minutes = models.PositiveIntegerField(default=60)
    location = models.CharField("place or video link", max_length=500, blank=True)
    product_area = models.ForeignKey(
        "intake.ProductArea", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    # A monthly review's month (its first day): one review per month.
    month = models.DateField(null=True, blank=True)
    # Calendar identity: the UID stays, SEQUENCE grows with every reschedule or cancellation.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(kind="monthly_review"),
                name="one_review_a_month",
            )
        ]
        indexes = [models.Index(fields=["starts_at"], name="session_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(minutes=self.duration_minutes)

    @property
    def is_review(self) -> bool:
        return self.kind == SessionKind.MONTHLY_REVIEW


class Rsvp(models.TextChoices):
    PENDING = "pending", "No answer yet"
    YES = "yes", "Yes"
    NO = "no", "No"
    MAYBE = "maybe", "Maybe"


class Participant(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_invites"
    )
    rsvp = models.CharField(max_length=10, choices=Rsvp.choices, default=Rsvp.PENDING)
    attended = models.BooleanField(default=False)
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__first_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_invite_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.session}"


class Decision(models.TextChoices):
    CREATE_INITIATIVE = "create_initiative", "Create an initiative"
    LINK = "link", "Link to an initiative"
    SAME_ASK = "same_ask", "Same ask as a waiting ticket"
    PLAN = "plan", "Plan it"
    DECLINE = "decline", "Decline"
    DEFER = "defer", "Defer to the next review"
    NEEDS_RESEARCH = "needs_research", "Needs research"
    # Not a decision: what closing the session marks on an item nobody decided. It moves on to
    # the next review like a deferral but is never counted as one of the decider's decisions.
    NOT_REACHED = "not_reached", "Not reached"

    @classmethod
    def chosen(cls) -> list[tuple[str, str]]:
        """The decisions a decider picks from (every one but "not reached")."""
        return [(value, label) for value, label in cls.choices if value != cls.NOT_REACHED]

    @classmethod
    def moved_on(cls) -> tuple[Decision, ...]:
        """What goes on to the next review: deferred by the decider, or not reached."""
        return (cls.DEFER, cls.NOT_REACHED)


class AgendaItemQuerySet(models.QuerySet["AgendaItem"]):
    def decided(self) -> AgendaItemQuerySet:
        """Items someone decided: not the undecided ones, nor those the session closed on
        unreached (what every count of decisions counts)."""
        return self.exclude(decision__in=["", Decision.NOT_REACHED])


class AgendaItem(models.Model):
    """One thing to discuss: a waiting ticket or a proposed initiative, and what was decided."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField(default=0)
    ticket = models.ForeignKey(
        "intake.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    initiative = models.ForeignKey(
        "triage.Initiative", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    deferred_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    rationale = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The initiative the decision created or linked to.
    result = models.ForeignKey(
        "triage.Initiative", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = models.Manager.from_queryset(AgendaItemQuerySet)()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(initiative__isnull=False),
                name="agenda_item_is_about_something",
            )
        ]

    def __str__(self) -> str:
        return str(self.ticket or self.initiative)


class ItemComment(models.Model):
    """Context, a question or an answer on an agenda item, before or during the meeting."""

    class Kind(models.TextChoices):
        CONTEXT = "context", "Context"
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONTEXT)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class Vote(models.Model):
    """One dot: a person may put up to VOTES_PER_PERSON on a session's items, several on one."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["item", "user"], name="vote_item_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.item_id}"


class Outcome(models.Model):
    """What a workshop produced: a note, an insight or an action item, linked to the feedback."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        INSIGHT = "insight", "Insight"
        ACTION = "action", "Action item"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField()
    initiative = models.ForeignKey(
        "triage.Initiative", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "intake.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]
