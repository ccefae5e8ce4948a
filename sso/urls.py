from django.urls import path

from sso import views

app_name = "sso"

urlpatterns = [
    path("login/", views.SignInStart.as_view(), name="login"),
    path("callback/", views.SignInCallback.as_view(), name="callback"),
]
