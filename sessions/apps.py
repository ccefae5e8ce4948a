from django.apps import AppConfig


class FeedbackSessionsConfig(AppConfig):
    # `sessions` is django.contrib.sessions' label.
    name = "sessions"
    label = "feedback_sessions"
    verbose_name = "Review sessions and workshops"

    def ready(self) -> None:
        from sessions.selectors import last_review_held
        from triage.selectors import last_review_held_register

        last_review_held_register(last_review_held)
