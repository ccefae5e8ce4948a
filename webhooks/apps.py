from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from core import events
        from notifications import registry
        from notifications.models import NotificationKind
        from webhooks import delivery, services

        # Each event the apps below announce becomes an outbox row per subscribed endpoint,
        # written in the announcing transaction; the outbox delivers them on the "webhook"
        # channel, tried for a day (delivery.RETRY_FOR).
        events.listen(services.event_record)
        registry.register_channel(
            NotificationKind.WEBHOOK,
            channel="webhook",
            deliver=delivery.deliver,
            retry_for=delivery.RETRY_FOR,
        )
        # "customer.notified" once the mail server took the customer's email.
        registry.on_sent(
            NotificationKind.CUSTOMER_SHIPPED,
            services.customer_notified_record,
            listening=services.customer_notified_listening,
        )
        # Admins hear when an endpoint was turned off after a day of failures.
        registry.register_staff_notice(NotificationKind.WEBHOOK_DISABLED)
