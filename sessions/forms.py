from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Team, User
from core.choices import CHOOSE, NONE
from core.dates import YEARS_AHEAD, horizon
from core.forms import DomainErrorMixin, IdField, IdListField
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX
from intake.models import ProductArea
from sessions.models import Decision, ItemComment, Outcome, Rsvp, Topic
from sessions.selectors import people_by_id
from sessions.services import DURATION_MAX, DURATION_MIN
from triage.selectors import initiative_choices


class InviteesField(IdListField):
    """The people chosen with the invitee picker (hidden inputs), as active users in the order
    chosen; an id that is not an active user is a field error."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_items=1_000, **kwargs)

    def clean(self, value: Any) -> list[User]:
        ids = super().clean(value)
        people = people_by_id(user_ids=ids)
        missing = sorted(set(ids) - {p.pk for p in people})
        if missing:
            raise forms.ValidationError(f"{missing[0]} is not an active user.")
        return people


def zone_help() -> str:
    """The time zone a date and time field is read in, named (the person's own, active now)."""
    zone = timezone.get_current_timezone()
    offset = timezone.localtime().strftime("%z")
    return f"Your time zone: {zone.key} (UTC{offset[:3]}:{offset[3:]})."


class WhenForm(DomainErrorMixin, forms.Form):
    starts_at = forms.DateTimeField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=DURATION_MIN,
        max_value=DURATION_MAX,
        initial=60,
        error_messages={
            "min_value": f"A session lasts at least {DURATION_MIN} minutes.",
            "max_value": f"A session lasts at most {DURATION_MAX // 60} hours.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The browser shows the date and time in its own locale; the zone is the person's.
        self.fields["starts_at"].help_text = zone_help()

    def clean_starts_at(self) -> Any:
        value = self.cleaned_data["starts_at"]
        if value <= timezone.now():
            raise forms.ValidationError("That time has passed; pick a time in the future.")
        if value > horizon():
            raise forms.ValidationError(f"Pick a time within the next {YEARS_AHEAD} years.")
        return value


class WorkshopForm(WhenForm):
    title = forms.CharField(max_length=TITLE_MAX)
    topic = forms.ChoiceField(choices=Topic.choices)
    description = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    location = forms.CharField(label="Place or video link", required=False, max_length=500)
    product_area = forms.ModelChoiceField(
        queryset=ProductArea.objects.all(), required=False, empty_label=NONE
    )
    tags = forms.CharField(
        required=False, max_length=300, help_text="Comma-separated; finds research material."
    )
    invitees = InviteesField()

    field_order = [
        "title",
        "topic",
        "description",
        "starts_at",
        "duration_minutes",
        "location",
        "product_area",
        "tags",
        "invitees",
    ]

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


class InviteForm(forms.Form):
    invitees = InviteesField()


class InviteePickerForm(forms.Form):
    """The invitee picker's state and the button pressed: the people chosen so far, the search,
    a person to add or drop, a team to add whole."""

    invitees = IdListField(max_items=1_000)
    people_q = forms.CharField(required=False, max_length=100)
    add = IdField(required=False)
    drop = IdField(required=False)
    team = forms.ChoiceField(choices=Team.choices, required=False)
    add_team = forms.BooleanField(required=False)


class ReviewForm(WhenForm):
    duration_minutes = None  # type: ignore[assignment]  # a review is an hour


# What an invitee may answer (not "no answer yet").
RSVP_ANSWERS = [c for c in Rsvp.choices if c[0] != Rsvp.PENDING]


class RsvpForm(forms.Form):
    rsvp = forms.ChoiceField(choices=RSVP_ANSWERS)


class CommentForm(DomainErrorMixin, forms.Form):
    body = forms.CharField(max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(choices=ItemComment.Kind.choices, initial=ItemComment.Kind.CONTEXT)


class DecisionForm(DomainErrorMixin, forms.Form):
    decision = forms.ChoiceField(choices=Decision.chosen())
    rationale = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Open or shipped: "already shipped" links there and tells the customer at once.
    initiative = forms.ModelChoiceField(
        queryset=initiative_choices(shipped=True),
        required=False,
        empty_label=CHOOSE,
        error_messages={"invalid_choice": "That initiative does not exist or was declined."},
    )
    title = forms.CharField(label="New initiative's title", required=False, max_length=TITLE_MAX)
    # For "same ask": the waiting ticket the item's ticket asks the same as.
    same_as = IdField(required=False)


class NotesForm(DomainErrorMixin, forms.Form):
    notes = forms.CharField(
        required=False, max_length=TEXT_MAX * 5, widget=forms.Textarea(attrs={"rows": 4})
    )
    # Notes for one agenda item; without it, the session's own notes.
    item = IdField(required=False)


class AgendaItemForm(forms.Form):
    """Move an agenda item up or down, or take it off."""

    item = IdField()
    action = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down"), ("remove", "Remove")])


class CloseForm(forms.Form):
    # Who came: the ids of the people invited (checkboxes on the page).
    attended = IdListField(max_items=1_000)
    # Ticked to close a session before its start (services.session_close asks for it).
    early = forms.BooleanField(required=False)


class OutcomeForm(DomainErrorMixin, forms.Form):
    kind = forms.ChoiceField(choices=Outcome.Kind.choices)
    body = forms.CharField(max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))
    create_initiative = forms.BooleanField(
        required=False, label="Turn this action item into a proposed initiative"
    )


class AgendaAddForm(forms.Form):
    ticket = forms.IntegerField(label="Ticket #", required=False, min_value=1)
    initiative = forms.IntegerField(label="Initiative #", required=False, min_value=1)
