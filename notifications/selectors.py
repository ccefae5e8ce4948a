"""Reads on staff notices, the delivery log and email preferences."""

from __future__ import annotations

from django.db.models import Count, Model, QuerySet

from accounts.models import User
from notifications.models import EmailPreference, Notice, Notification, NotificationKind


def notices_of(*, user: User) -> QuerySet[Notice]:
    """This person's notices, newest first."""
    return Notice.objects.filter(user=user)


def notice_of(*, user: User, notice_id: int) -> Notice | None:
    """One of this person's notices, or None (another's is as good as missing)."""
    return Notice.objects.filter(user=user, pk=notice_id).first()


def unread_notice_count(*, user: User) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def deliveries(
    *, initiative_id: int | None = None, status: str = "", kind: str = ""
) -> QuerySet[Notification]:
    """The delivery log, newest first, filtered (two queries a page)."""
    rows = Notification.objects.select_related("initiative", "contact__customer").defer(
        "body_text", "body_html", "initiative__search_vector", "initiative__description"
    )
    if initiative_id:
        rows = rows.filter(initiative_id=initiative_id)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-id")


def delivery_initiative(*, initiative_id: int) -> Model | None:
    """The initiative a delivery log is filtered to (its title heads the page), or None; found
    through the outbox's foreign key, as the outbox keeps ids of what is above it, never imports."""
    initiatives = Notification.initiative.field.related_model
    assert isinstance(initiatives, type)
    assert issubclass(initiatives, Model)
    return initiatives._default_manager.filter(pk=initiative_id).only("pk", "title").first()


def delivery_counts(*, initiative_id: int) -> dict[str, int]:
    """How many of an initiative's customer emails are in each status (one query)."""
    rows = (
        Notification.objects.filter(
            initiative_id=initiative_id, kind=NotificationKind.CUSTOMER_SHIPPED
        )
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def email_opt_outs(*, user: User) -> set[str]:
    return set(EmailPreference.objects.filter(user=user).values_list("kind", flat=True))


def customer_email_for(*, ticket_initiative_id: int | None, contact_id: int) -> Notification | None:
    """The "your feedback shipped" email to this ticket's contact, if its initiative shipped."""
    if not ticket_initiative_id:
        return None
    return (
        Notification.objects.filter(
            initiative_id=ticket_initiative_id,
            contact_id=contact_id,
            kind=NotificationKind.CUSTOMER_SHIPPED,
        )
        .only("status", "sent_at", "recipient_email", "created_at")
        .first()
    )
