from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list_view, name="list"),
    path("new/", views.endpoint_new, name="new"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_id>/edit/", views.endpoint_edit, name="edit"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete_view, name="delete"),
    path(
        "<int:endpoint_id>/deliveries/<int:delivery_id>/again/",
        views.delivery_again,
        name="again",
    ),
]
