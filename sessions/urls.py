from django.urls import path

from sessions import views

app_name = "sessions"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("calendar/", views.session_calendar, name="calendar"),
    path("new/workshop/", views.workshop_new, name="new-workshop"),
    path("new/review/", views.review_new, name="new-review"),
    path("people/", views.people, name="people"),
    path("<int:session_id>/", views.session_detail, name="detail"),
    path("<int:session_id>/rsvp/", views.rsvp, name="rsvp"),
    path("<int:session_id>/agenda/", views.agenda_edit, name="agenda"),
    path("<int:session_id>/agenda/search/", views.agenda_search, name="agenda-search"),
    path("<int:session_id>/items/<int:item_id>/vote/", views.vote, name="vote"),
    path("<int:session_id>/items/<int:item_id>/comment/", views.comment, name="comment"),
    path("<int:session_id>/items/<int:item_id>/decide/", views.decide, name="decide"),
    path("<int:session_id>/items/<int:item_id>/matches/", views.item_matches, name="matches"),
    path("<int:session_id>/notes/", views.notes, name="notes"),
    path("<int:session_id>/close/", views.close, name="close"),
    path("<int:session_id>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:session_id>/cancel/", views.cancel, name="cancel"),
    path("<int:session_id>/invite/", views.invite, name="invite"),
    path("<int:session_id>/outcomes/", views.outcome, name="outcome"),
]
