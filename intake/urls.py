from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("new/", views.ticket_new, name="new"),
    path("new/similar/", views.similar, name="similar"),
    path("new/companies/", views.companies, name="companies"),
    path("mine/", views.my_tickets, name="mine"),
    path("tickets/", views.ticket_index, name="list"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="detail"),
    path("tickets/<int:ticket_id>/edit/", views.ticket_edit, name="edit"),
    path("tickets/<int:ticket_id>/company/", views.ticket_company, name="company"),
    path("tickets/<int:ticket_id>/comments/", views.ticket_comment, name="comment"),
    path("tickets/<int:ticket_id>/same-ask/", views.ticket_same_ask, name="same-ask"),
    path("tickets/<int:ticket_id>/answer/", views.ticket_answer, name="answer"),
]
