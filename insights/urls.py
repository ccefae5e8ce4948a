from django.urls import URLPattern, path

from insights import views

# Unnamespaced: the navigation links to 'insights' from every page.
urlpatterns: list[URLPattern] = [
    path("", views.insights, name="insights"),
    path("<slug:chart>.csv", views.insights_csv, name="insights-csv"),
]
