from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notice_list, name="notices"),
    path("<int:notice_id>/", views.notice_open, name="open"),
    path("read/", views.notices_read, name="read"),
    path("settings/", views.email_settings, name="settings"),
    path("deliveries/", views.delivery_log, name="deliveries"),
    path("deliveries/<int:notification_id>/retry/", views.delivery_retry, name="retry"),
]
