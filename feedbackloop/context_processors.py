"""What every page's template may ask: `may`, what this user may use, as the apps' policies
decide. It names every app, so it sits here with the URLs, above them all."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.policies import may_administer
from feedbackloop.policies import may_read_sent_mail
from insights.policies import may_view_insights
from intake.policies import may_comment, may_file_ticket
from notifications.policies import may_view_deliveries
from sessions.policies import may_run_sessions
from transfer.policies import may_export, may_import_feedback
from triage.policies import may_triage


def policies(request: HttpRequest) -> dict[str, Any]:
    """`may`: which parts of the app this user may use: {% if may.triage %}."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {
        "may": {
            "file_ticket": may_file_ticket(user),
            "comment": may_comment(user),
            "triage": may_triage(user),
            "view_insights": may_view_insights(user),
            "run_sessions": may_run_sessions(user),
            "view_deliveries": may_view_deliveries(user),
            "administer": may_administer(user),
            "read_sent_mail": may_read_sent_mail(user),
            "import_feedback": may_import_feedback(user),
            "export": may_export(user),
        }
    }
