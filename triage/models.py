from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models

from intake.models import WithoutEmbedding, embedding_field, title_description_search_vector


class InitiativeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"

    @classmethod
    def open(cls) -> tuple[InitiativeStatus, ...]:
        """Still being decided or worked on: tickets may join, it may be merged."""
        return (cls.PROPOSED, cls.PLANNED, cls.IN_PROGRESS)

    @classmethod
    def closed(cls) -> tuple[InitiativeStatus, ...]:
        """Done with: shipped, or declined (merged initiatives are declined too)."""
        return (cls.SHIPPED, cls.DECLINED)


class ScoringWeights(models.Model):
    """The admin's weights for the priority score; one row."""

    nice_to_have = models.PositiveSmallIntegerField(default=1)
    important = models.PositiveSmallIntegerField(default=2)
    critical = models.PositiveSmallIntegerField(default=3)
    revenue_weighting = models.BooleanField(
        default=False, help_text="Multiply each company's weight by 1 + log10(1 + revenue/10,000)"
    )

    class Meta:
        verbose_name = "scoring weights"
        verbose_name_plural = "scoring weights"

    def __str__(self) -> str:
        return "Scoring weights"

    @classmethod
    def current(cls) -> ScoringWeights:
        weights, _ = cls.objects.get_or_create(pk=1)
        return weights

    def weight_for_rank(self, rank: int) -> int:
        return {1: self.nice_to_have, 2: self.important, 3: self.critical}[rank]


class Initiative(models.Model):
    """A piece of product work that answers one or more customer tickets.

    The priority score and its parts are stored, recomputed in the same transaction as any
    change to the initiative's tickets (triage.scoring).
    """

    title = models.CharField(max_length=200)
    description = models.TextField("problem statement", blank=True)
    product_area = models.ForeignKey(
        "intake.ProductArea",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiatives",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_initiatives",
    )
    status = models.CharField(
        max_length=20, choices=InitiativeStatus.choices, default=InitiativeStatus.PROPOSED
    )
    decline_reason = models.TextField(blank=True)
    release_note = models.TextField(blank=True)
    effort = models.CharField(max_length=40, blank=True, help_text="e.g. 2 weeks, M, 5 points")
    priority_score = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    customer_count = models.PositiveIntegerField(default=0)
    ticket_count = models.PositiveIntegerField(default=0)
    critical_count = models.PositiveIntegerField(default=0)
    revenue_total = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    # Its tracker said the work is done (a linked issue closed, a pull request merged): the
    # board shows it ready to ship, with a release note drafted from the item (triage.tracker).
    work_done_at = models.DateTimeField(null=True, blank=True)
    release_note_draft = models.TextField(blank=True)
    search_vector = title_description_search_vector()
    embedding = embedding_field()

    objects = WithoutEmbedding["Initiative"]()

    class Meta:
        ordering = ["-priority_score", "-id"]
        indexes = [
            GinIndex(fields=["search_vector"], name="initiative_search"),
            # Similar-feedback search keeps its copy of the vectors in step by what changed,
            # and finds rows without a vector yet by their words (empty once backfilled).
            models.Index(fields=["updated_at"], name="initiative_changed"),
            GinIndex(
                fields=["search_vector"],
                condition=models.Q(embedding__isnull=True),
                name="initiative_search_unembedded",
            ),
            models.Index(fields=["status", "-priority_score"], name="initiative_board"),
            # The board's column totals under a filter read each initiative's status and area
            # from here, not from its wide row (the vectors and texts: 78 MB at 20,000).
            models.Index(
                fields=["status"], include=["id", "product_area"], name="initiative_status_area"
            ),
            # The menus of open initiatives to link to (triage.selectors.initiative_menu), best
            # scored first: read from here, not by sorting every open one.
            models.Index(
                fields=["-priority_score", "title"],
                condition=models.Q(status__in=[str(s) for s in InitiativeStatus.open()]),
                name="initiative_open_menu",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def score_explanation(self) -> str:
        """'7 customers · 3 critical · $240k ARR' — what the score is made of."""
        parts = [f"{self.customer_count:,} customer{'s' if self.customer_count != 1 else ''}"]
        if self.critical_count:
            parts.append(f"{self.critical_count:,} critical")
        if self.revenue_total:
            parts.append(f"{_money(self.revenue_total)} ARR")
        return " · ".join(parts)


def _money(amount: object) -> str:
    value = float(str(amount))
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M".replace(".0M", "M")
    if value >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"


class InitiativeEvent(models.Model):
    """One entry in an initiative's history: who changed what, when, from what to what."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        EDITED = "edited", "Edited"
        TICKET_LINKED = "ticket_linked", "Ticket linked"
        TICKET_UNLINKED = "ticket_unlinked", "Ticket unlinked"
        MERGED = "merged", "Merged"
        WORK_ITEM_ADDED = "work_item_added", "Work item linked"
        WORK_ITEM_REMOVED = "work_item_removed", "Work item unlinked"
        WORK_DONE = "work_done", "Work done"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_value = models.CharField(max_length=200, blank=True)
    to_value = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["initiative", "-created_at"], name="initiative_history")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.from_value} → {self.to_value}"


class ScoreSnapshot(models.Model):
    """An initiative's score at the start of a month, for the board's change since last month."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="snapshots")
    month = models.DateField(help_text="The first day of the month the snapshot opens")
    priority_score = models.DecimalField(max_digits=12, decimal_places=2)
    customer_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "month"], name="one_snapshot_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} @ {self.month}: {self.priority_score}"


class ThemeExclusion(models.Model):
    """A product manager took a waiting ticket out of the inbox's themes: it is not grouped
    with others again (it stays in the inbox, to be triaged on its own)."""

    ticket = models.OneToOneField(
        "intake.Ticket", on_delete=models.CASCADE, related_name="theme_exclusion"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.ticket_id} out of themes"


class Tracker(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    JIRA = "jira", "Jira"
    LINEAR = "linear", "Linear"


class WorkItem(models.Model):
    """A piece of work in the team's tracker that delivers an initiative: a GitHub issue or pull
    request, a GitLab issue or merge request, a Jira or Linear issue (triage.tracker)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="work_items")
    tracker = models.CharField(max_length=10, choices=Tracker.choices)
    # How the tracker names it, the same whatever URL was pasted: "acme/app#7" (GitHub),
    # "group/app!7" (a GitLab merge request), "ENG-42" (Jira, Linear).
    key = models.CharField(max_length=300)
    url = models.URLField(max_length=500)
    # From the tracker's webhook when the work is done; the release note's draft is made of it.
    title = models.CharField(max_length=300, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "tracker", "key"], name="one_link_per_work_item"
            )
        ]
        indexes = [models.Index(fields=["tracker", "key"], name="work_item_key")]

    def __str__(self) -> str:
        return f"{self.get_tracker_display()} {self.key}"
