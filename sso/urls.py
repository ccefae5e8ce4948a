from django.urls import path

from sso import views

app_name = "sso"

urlpatterns = [
    path("login/", views.SignInStart.as_view(), name="login"),
    path("callback/", views.SignInCallback.as_view(), name="callback"),
    path("scim-tokens/", views.scim_tokens, name="scim-tokens"),
    path(
        "scim-tokens/<int:token_id>/revoke/",
        views.scim_token_revoke_view,
        name="scim-token-revoke",
    ),
]
