from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Register the delivery tasks in every process, the web's too: services publish to
        # them by name (notifications.services.DELIVER), so nothing else imports them there.
        from notifications import tasks  # noqa: F401
