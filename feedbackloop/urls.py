import warnings

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError, AnymailImproperlyInstalled
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.api import not_found as api_not_found
from email_intake.views import webhook_body_limit
from feedbackloop import views
from intake import views as intake_views
from notifications import views as notification_views
from people.api import TokenView
from sso import views as sso_views
from webhooks import views as webhook_views

# A lost database connection answers 503 "try again", anything else the plain 500 page.
handler500 = "feedbackloop.views.server_error"

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("intake.api")),
    path("", include("notifications.api")),
    path("", include("triage.api")),
    path("", include("sessions.api")),
    path("", include("webhooks.api")),
    path("", include("transfer.api")),
    # Last: whatever else is under /api/ answers the API's JSON 404.
    re_path(r"^", api_not_found),
]


def _anymail_served(pattern: URLPattern) -> bool:
    """An inbound webhook whose provider needs nothing beyond the basic-auth secret (Postmark,
    SendGrid, Mailjet, SparkPost), or whose own key is set; delivery tracking is not used."""
    if not str(pattern.name).endswith("_inbound_webhook"):
        return False
    try:
        with warnings.catch_warnings():  # SendinBlue's URLs warn that they are Brevo's now
            warnings.simplefilter("ignore")
            pattern.callback.view_class()  # type: ignore[attr-defined]
    except (AnymailImproperlyInstalled, AnymailConfigurationError):
        return False
    return True


anymail_inbound = [
    URLPattern(pattern.pattern, webhook_body_limit(pattern.callback), name=pattern.name)
    for pattern in anymail_urls.urlpatterns
    if isinstance(pattern, URLPattern) and _anymail_served(pattern)
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", sso_views.LoginView.as_view(), name="login"),
    path("sso/", include("sso.urls")),
    path("scim/v2/", include("sso.scim_urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("intake/", include("intake.urls")),
    path("notices/", include("notifications.urls")),
    path("triage/", include("triage.urls")),
    path("sessions/", include("sessions.urls")),
    path("insights/", include("insights.urls")),
    path("data/", include("transfer.urls")),
    path("email/", include("email_intake.urls")),
    # The email providers' inbound webhooks, where django-anymail documents them.
    path("anymail/", include((anymail_inbound, "anymail"))),
    path("audit/", include("audit.urls")),
    path("channels/", notification_views.channel_list, name="channels"),
    path("channels/<slug:key>/test/", notification_views.channel_test, name="channel-test"),
    path("", include("people.urls")),
    path("integrations/slack/", include("slack_app.urls")),
    path("webhooks/", include("webhooks.urls")),
    # The trackers' webhooks (GitHub, Linear): work items done.
    path("integrations/github/", webhook_views.github_receive, name="github-webhook"),
    path("integrations/linear/", webhook_views.linear_receive, name="linear-webhook"),
    path("unsubscribe/<str:token>/", intake_views.unsubscribe, name="unsubscribe"),
    # Development only (404 with DEBUG off): the mail the app wrote instead of sending.
    path("dev/mail/", views.sent_mail, name="sent-mail"),
    path("dev/mail/<str:name>/", views.sent_mail_message, name="sent-mail-message"),
    path("dev/mail/<str:name>/raw/", views.sent_mail_raw, name="sent-mail-raw"),
    path(
        "dev/mail/<str:name>/attachments/<int:index>/",
        views.sent_mail_attachment,
        name="sent-mail-attachment",
    ),
]
