from django.apps import AppConfig


class EmailIntakeConfig(AppConfig):
    name = "email_intake"
    verbose_name = "Email intake"

    def ready(self) -> None:
        from anymail.signals import inbound

        from email_intake.channels import register_channels
        from email_intake.receivers import inbound_received
        from email_intake.replies import reply_message
        from notifications import registry
        from notifications.models import NotificationKind

        inbound.connect(inbound_received, dispatch_uid="email_intake.inbound_received")
        # The replies to whoever emailed the feedback address, and the Channels page's test.
        registry.register(NotificationKind.EMAIL_FILED, reply_message)
        registry.register(NotificationKind.EMAIL_NOT_FILED, reply_message)
        registry.register(NotificationKind.EMAIL_NOT_STAFF, reply_message)
        registry.register(NotificationKind.CHANNEL_TEST, registry.as_recorded)
        register_channels()
