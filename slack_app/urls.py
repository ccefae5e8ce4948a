from django.urls import path

from slack_app import views

app_name = "slack_app"

urlpatterns = [
    path("commands/", views.commands, name="commands"),
    path("interactivity/", views.interactivity, name="interactivity"),
    path("events/", views.events, name="events"),
]
