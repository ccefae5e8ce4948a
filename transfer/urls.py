from django.urls import path

from transfer import views

app_name = "transfer"

urlpatterns = [
    path("", views.index, name="index"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
    path("imports/<int:import_id>/start/", views.import_start, name="import-start"),
    path("exports/<slug:dataset>.<slug:file_format>", views.export_download, name="export"),
]
