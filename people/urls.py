from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("people/", views.people_index, name="list"),
    path("people/invites/<int:invitation_id>/resend/", views.invite_resend, name="resend"),
    path("people/invites/<int:invitation_id>/revoke/", views.invite_revoke, name="revoke"),
    path("invite/<str:token>/", views.invite_accept, name="accept"),
    path("account/", views.account, name="account"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        views.api_token_revoke_view,
        name="token-revoke",
    ),
    path("people/tokens/", views.api_tokens, name="tokens"),
]
