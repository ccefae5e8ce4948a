from django.apps import AppConfig


class FeedbackSessionsConfig(AppConfig):
    # `sessions` is django.contrib.sessions' label.
    name = "sessions"
    label = "feedback_sessions"
    verbose_name = "Review sessions and workshops"

    def ready(self) -> None:
        from notifications import registry
        from notifications.models import NotificationKind
        from sessions.selectors import last_review_held
        from triage.selectors import last_review_held_register

        last_review_held_register(last_review_held)
        # Rendered when written, calendar invite included (sessions.services), so sent as recorded.
        registry.register_staff_notice(NotificationKind.SESSION_INVITE)
        registry.register_staff_notice(NotificationKind.SESSION_REMINDER)
        registry.register_staff_notice(NotificationKind.SESSION_SUMMARY)
