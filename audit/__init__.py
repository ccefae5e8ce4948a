"""The audit log of security-relevant events: who did what, when, from where, what changed.

Every app records through one entry point, `audit.record(...)`; the page `/audit/` shows the
log to admins. The vocabulary of actions is `audit.actions.Action`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest

    from accounts.models import User
    from audit.actions import Action


def record(
    action: Action,
    *,
    actor: User | None = None,
    target: Model | None = None,
    target_label: str = "",
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    actor_name: str = "",
) -> None:
    """Record one event (see audit.services.event_record); the models load only when called."""
    from audit.services import event_record

    event_record(
        action=action,
        actor=actor,
        target=target,
        target_label=target_label,
        changes=changes,
        request=request,
        actor_name=actor_name,
    )
