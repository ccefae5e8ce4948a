from django.apps import AppConfig


class SlackAppConfig(AppConfig):
    name = "slack_app"
    verbose_name = "Slack"

    def ready(self) -> None:
        from notifications import registry
        from notifications.models import NotificationKind
        from slack_app import client, delivery
        from triage.shipping import ship_listener_register

        # Its messages go out through the outbox, on Slack: retried and logged like email.
        for kind in delivery.SLACK_KINDS:
            registry.register_channel(kind, channel="slack", deliver=delivery.deliver)
        # "Your customer was told" once the mail server took the email, not when it was queued.
        registry.on_sent(
            NotificationKind.CUSTOMER_SHIPPED,
            delivery.customer_told_record,
            listening=client.configured,
        )
        ship_listener_register(delivery.ship_announcement_record)
        # Its row on the admins' Channels page.
        from slack_app.channels import register_channel

        register_channel()
