from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Sign-ins, their failures and sign-outs come from Django's signals, whichever way in.
        from audit import signals  # noqa: F401
