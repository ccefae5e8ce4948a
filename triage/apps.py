from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self) -> None:
        from notifications import registry
        from notifications.models import NotificationKind
        from triage import tasks  # noqa: F401  (the inbox publishes find_themes by name)
        from triage.shipping import customer_shipped_email, customer_shipped_emails

        registry.register(
            NotificationKind.CUSTOMER_SHIPPED, customer_shipped_email, batch=customer_shipped_emails
        )
        # What happened to a submitter's ticket, and that their customers were told of a ship.
        registry.register_staff_notice(NotificationKind.STAFF_SHIPPED)
        registry.register_staff_notice(NotificationKind.STAFF_DECLINED)
        registry.register_staff_notice(NotificationKind.STAFF_LINKED)
        registry.register_staff_notice(NotificationKind.STAFF_DUPLICATE)
        registry.register_staff_notice(NotificationKind.STAFF_SAME_ASK)
