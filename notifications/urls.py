from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notice_list, name="notices"),
    path("read/", views.notices_read, name="read"),
]
