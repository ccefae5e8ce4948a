from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import User
from audit.actions import Action
from audit.selectors import audit_actors
from core.choices import any_of

FIRST_YEAR, LAST_YEAR = 1900, 9000


class ActorChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        assert isinstance(obj, User)
        return f"{obj.display_name} ({obj.username})"


class AuditFilterForm(forms.Form):
    actor = ActorChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    action = forms.ChoiceField(choices=any_of(Action.choices), required=False)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actor"].queryset = audit_actors()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            day = data.get(name)
            # A day at either end of the calendar cannot be a bound once made a time in a zone.
            if day is not None and not (FIRST_YEAR <= day.year <= LAST_YEAR):
                self.add_error(name, f"Choose a day between {FIRST_YEAR} and {LAST_YEAR}.")
                data.pop(name, None)
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end comes before the start.")
        return data

    def filters(self) -> dict[str, Any]:
        """The selector's arguments: whole days in the viewer's time zone, both ends included."""
        data = self.cleaned_data
        actor = data.get("actor")
        return {
            "actor_id": actor.pk if actor else None,
            "action": data.get("action") or "",
            "since": _day_start(data.get("since")),
            "until": _day_start(data["until"] + datetime.timedelta(days=1))
            if data.get("until")
            else None,
        }


def _day_start(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
