from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("", views.board_page, name="board"),
    path("move/", views.board_move, name="board-move"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/bulk/", views.inbox_bulk, name="inbox-bulk"),
    path("inbox/undo/", views.inbox_undo_view, name="inbox-undo"),
    path("inbox/themes/", views.theme_merge_view, name="theme-merge"),
    path("inbox/themes/exclude/", views.theme_exclude_view, name="theme-exclude"),
    path("inbox/<int:ticket_id>/", views.inbox_action, {"action": ""}, name="inbox-item"),
    path("inbox/<int:ticket_id>/<slug:action>/", views.inbox_action, name="inbox-action"),
    path("initiatives/new/", views.initiative_new, name="new"),
    path("initiatives/<int:initiative_id>/", views.initiative_detail, name="initiative"),
    path("initiatives/<int:initiative_id>/edit/", views.initiative_edit, name="edit"),
    path("initiatives/<int:initiative_id>/move/", views.initiative_move_view, name="move"),
    path("initiatives/<int:initiative_id>/undo/", views.initiative_undo_view, name="undo"),
    path("initiatives/<int:initiative_id>/status/", views.initiative_status, name="status"),
    path("initiatives/<int:initiative_id>/audience/", views.ship_audience_view, name="audience"),
    path("initiatives/<int:initiative_id>/preview/", views.ship_preview, name="preview"),
    path("initiatives/<int:initiative_id>/merge/", views.initiative_merge_view, name="merge"),
    path("initiatives/<int:initiative_id>/work/", views.work_item_add_view, name="work-add"),
    path(
        "initiatives/<int:initiative_id>/work/<int:work_item_id>/remove/",
        views.work_item_remove_view,
        name="work-remove",
    ),
    path(
        "initiatives/<int:initiative_id>/tickets/<int:ticket_id>/unlink/",
        views.ticket_unlink_view,
        name="unlink",
    ),
]
