"""The one write of the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.actions import Action
from audit.context import current_origin, origin_of
from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest

    from accounts.models import User

LABEL_KEPT = 200


def event_record(
    *,
    action: Action,
    actor: User | None = None,
    target: Model | None = None,
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> AuditEvent:
    """Add an event: who (`actor`, or `actor_name` for someone without an account here), what
    to (`target`), what changed, and from where (`request`'s origin, else the current one's).
    It joins the caller's transaction: a change rolled back leaves no event behind."""
    origin = origin_of(request) if request is not None else current_origin()
    if actor is not None and not actor_name:
        actor_name = f"{actor.display_name} ({actor.username})"
    target_type = target_id = ""
    if target is not None:
        target_type = str(target._meta.verbose_name)
        target_id = str(target.pk)
        target_label = target_label or str(target)
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor_name[:LABEL_KEPT],
        target_type=target_type,
        target_id=target_id,
        target_label=target_label[:LABEL_KEPT],
        ip_address=origin.ip_address if origin else None,
        user_agent=origin.user_agent if origin else "",
        changes=changes or {},
    )


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for each field whose value differs."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }
