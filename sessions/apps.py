from django.apps import AppConfig


class FeedbackSessionsConfig(AppConfig):
    # `sessions` is django.contrib.sessions' label.
    name = "sessions"
    label = "feedback_sessions"
    verbose_name = "Review sessions and workshops"
