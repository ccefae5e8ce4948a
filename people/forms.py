from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from accounts.models import Role, Team
from core.forms import DomainErrorMixin


class InviteForm(DomainErrorMixin, forms.Form):
    email = forms.EmailField(max_length=254, help_text="Their work address: the link goes there.")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.SUBMITTER)
    team = forms.ChoiceField(choices=Team.choices, initial=Team.SALES)


class AcceptForm(DomainErrorMixin, forms.Form):
    """The invitee's username and password (typed twice), on the invite link's page."""

    username = forms.CharField(
        max_length=150,
        help_text="What you log in with: letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not all digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data["password1"]:
            self.add_error("password2", "The two passwords differ; type the same one twice.")
        return data


def _time_zones() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(zoneinfo.available_timezones())]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=_time_zones,
        help_text="Times in FeedbackLoop and its calendar invites are shown in it.",
    )


class PasswordForm(DomainErrorMixin, PasswordChangeForm):
    """Django's own: the current password, then the new one twice, checked by the validators."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One of three forms on the page: focusing it would open a phone's keyboard at once.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class ApiTokenForm(DomainErrorMixin, forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="What it is for, such as “CRM sync” or “my laptop”.",
    )
