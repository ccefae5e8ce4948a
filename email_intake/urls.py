from django.urls import path

from email_intake import views

app_name = "email_intake"

urlpatterns = [
    path("tickets/<int:ticket_id>/onto/<int:initiative_id>/", views.ticket_onto, name="onto"),
]
