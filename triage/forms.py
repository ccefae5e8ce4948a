from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Role, User
from core.choices import ANY, CHOOSE, NONE, any_of
from core.forms import ID_MAX, DomainErrorMixin, IdField, IdListField
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX
from intake.models import ProductArea, Segment, SourceTeam
from triage.models import Initiative, InitiativeStatus
from triage.selectors import PERIODS, initiative_choices, initiative_menu
from triage.services import BULK_MAX, REASON_MAX, snooze_latest
from triage.themes import THEME_SIZE_MAX


def _area_field(empty_label: str = NONE) -> forms.ModelChoiceField[ProductArea]:
    return forms.ModelChoiceField(
        queryset=ProductArea.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=empty_label,
    )


class InitiativeForm(DomainErrorMixin, forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX, widget=forms.TextInput(attrs={"placeholder": "e.g. CSV export"})
    )
    description = forms.CharField(
        label="Problem statement",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The customer problem, not the solution.",
    )
    product_area = _area_field()
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.PRODUCT_MANAGER, is_active=True).order_by(
            "first_name", "username"
        ),
        required=False,
        empty_label=NONE,
    )
    effort = forms.CharField(
        required=False, max_length=40, help_text="Optional: 2 weeks, M, 5 points…"
    )


class InitiativeFromTicketForm(DomainErrorMixin, forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    description = forms.CharField(
        label="Problem statement",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    product_area = _area_field()


class LinkForm(DomainErrorMixin, forms.Form):
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(),
        empty_label=CHOOSE,
        error_messages={
            "required": "Pick the initiative to link to.",
            "invalid_choice": "That initiative does not exist or was declined; pick another.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A shipped initiative is accepted (its "Already shipped" suggestion links there and
        # tells the customer); the select offers open ones only, read when it is drawn.
        field = self.fields["initiative"]
        field.queryset = initiative_choices(shipped=True)  # type: ignore[attr-defined]
        menu = forms.ModelChoiceField(queryset=initiative_choices(), empty_label=CHOOSE)
        field.widget.choices = menu.choices


class SameAskForm(DomainErrorMixin, forms.Form):
    same_as = forms.IntegerField(
        label="Same ask as ticket #",
        min_value=1,
        max_value=ID_MAX,
        help_text="A proposed initiative is made from that ticket, and both count for it.",
        error_messages={"required": "Enter the number of the waiting ticket that asks the same."},
    )


class ThemeForm(DomainErrorMixin, forms.Form):
    """One action on a theme: make its tickets one initiative (`title`) or link them all to the
    suggested one (`initiative`)."""

    tickets = IdListField(max_items=THEME_SIZE_MAX)
    title = forms.CharField(label="New initiative's title", max_length=TITLE_MAX, required=False)
    initiative = IdField(required=False)


class ThemeExcludeForm(forms.Form):
    ticket = IdField()


class DuplicateForm(DomainErrorMixin, forms.Form):
    of = forms.IntegerField(
        label="Duplicate of ticket #",
        min_value=1,
        error_messages={"required": "Enter the number of the ticket this one repeats."},
    )


class DeclineForm(DomainErrorMixin, forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The submitter sees this, so they can tell the customer.",
        error_messages={"required": "Say why, so the submitter can tell the customer."},
    )


class AskForm(DomainErrorMixin, forms.Form):
    body = forms.CharField(
        label="Question for the submitter",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SnoozeForm(DomainErrorMixin, forms.Form):
    until = forms.DateField(
        label="Bring it back on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Pick the day it should come back."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["until"].initial = today + datetime.timedelta(days=14)
        self.fields["until"].widget.attrs["min"] = (today + datetime.timedelta(days=1)).isoformat()
        self.fields["until"].widget.attrs["max"] = snooze_latest(today).isoformat()


class InboxBulkForm(DomainErrorMixin, forms.Form):
    """Several ticked waiting tickets: link them to one initiative, decline them with one
    reason, or snooze them until one day."""

    ACTIONS = [("link", "Link to…"), ("decline", "Decline…"), ("snooze", "Snooze until…")]

    tickets = IdListField(max_items=BULK_MAX)
    action = forms.ChoiceField(
        label="With the ticked tickets",
        choices=ACTIONS,
        error_messages={"required": "Pick what to do."},
    )
    initiative = forms.ModelChoiceField(
        queryset=Initiative.objects.none(),
        required=False,
        empty_label=CHOOSE,
        error_messages={"invalid_choice": "That initiative is not open; pick another."},
    )
    reason = forms.CharField(label="Reason", required=False, max_length=REASON_MAX)
    until = forms.DateField(
        label="Bring them back on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    NEEDS = {
        "link": ("initiative", "Pick the initiative to link them to."),
        "decline": ("reason", "Say why, so the submitters can tell their customers."),
        "snooze": ("until", "Pick the day they should come back."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["initiative"]
        field.queryset = initiative_choices()  # type: ignore[attr-defined]
        field.widget.choices = [("", CHOOSE), *initiative_menu()]
        today = timezone.localdate()
        self.fields["until"].widget.attrs["min"] = (today + datetime.timedelta(days=1)).isoformat()
        self.fields["until"].widget.attrs["max"] = snooze_latest(today).isoformat()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("tickets"):
            self.add_error("tickets", "Tick the tickets to act on first.")
        needed = self.NEEDS.get(data.get("action", ""))
        if needed and not data.get(needed[0]) and needed[0] not in self.errors:
            self.add_error(needed[0], needed[1])
        return data


class MoveForm(DomainErrorMixin, forms.Form):
    status = forms.ChoiceField(choices=InitiativeStatus.choices)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    release_note = forms.CharField(
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What shipped, in words a customer understands. It goes in their email.",
    )
    decline_reason = forms.CharField(
        label="Why decline it",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in its history, for whoever asks later.",
    )
    # Moving a shipped initiative back un-ships it: only once the person was told what that
    # does to the emails already sent (the board's menu and the un-ship page say so).
    unship = forms.BooleanField(required=False, widget=forms.HiddenInput)


class BoardMoveForm(MoveForm):
    """The board's one move menu: the card that opened it names the initiative."""

    initiative = IdField()


class UndoForm(forms.Form):
    """Take back a move: the version the move left, so a change since is not overwritten."""

    version = forms.IntegerField(min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)


class MergeForm(DomainErrorMixin, forms.Form):
    into = forms.ModelChoiceField(
        label="Merge into",
        queryset=Initiative.objects.none(),
        empty_label=CHOOSE,
        error_messages={"invalid_choice": "That initiative is not open; pick another."},
    )

    def __init__(self, *args: Any, exclude: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = initiative_choices(exclude=exclude)  # type: ignore[attr-defined]
        menu = initiative_menu(exclude=exclude)
        self.fields["into"].widget.choices = [("", CHOOSE), *menu]


class BoardFilterForm(forms.Form):
    period = forms.ChoiceField(choices=list(PERIODS.items()), required=False, initial="all")
    source_team = forms.ChoiceField(
        label="Team", choices=any_of(SourceTeam.choices), required=False
    )
    product_area = _area_field(ANY)
    segment = forms.ChoiceField(choices=any_of(Segment.choices), required=False)


class WorkItemForm(forms.Form):
    url = forms.CharField(
        label="Link to the work",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://github.com/acme/app/pull/7"}),
        help_text="A GitHub issue or pull request, GitLab issue or merge request, Jira or "
        "Linear issue. When it closes or merges, this initiative shows as ready to ship.",
    )
