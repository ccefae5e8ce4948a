from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from notifications import registry
        from notifications.models import NotificationKind
        from people.services import invite_email

        registry.register(NotificationKind.ACCOUNT_INVITE, invite_email)
