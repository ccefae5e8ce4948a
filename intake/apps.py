from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        from intake import tasks  # noqa: F401  (filing publishes embed_tickets by name)
        from notifications import registry
        from notifications.models import NotificationKind

        # A question on a ticket, and its answer (intake.services.comment_add).
        registry.register_staff_notice(NotificationKind.STAFF_QUESTION)
        registry.register_staff_notice(NotificationKind.STAFF_ANSWER)
