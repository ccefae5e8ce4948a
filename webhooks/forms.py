from __future__ import annotations

import secrets
from typing import Any

from django import forms

from webhooks.serializers import EVENT_CHOICES
from webhooks.services import DESCRIPTION_MAX, SECRET_MAX, URL_MAX


def new_secret() -> str:
    """A secret to offer on the form: 32 random bytes, hex."""
    return secrets.token_hex(32)


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=URL_MAX,
        widget=forms.URLInput(attrs={"placeholder": "https://tools.example.com/feedbackloop"}),
        help_text="Each event is POSTed here as JSON. Redirects are not followed.",
    )
    secret = forms.CharField(
        label="Secret",
        max_length=SECRET_MAX,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="Signs every delivery (X-FeedbackLoop-Signature). Copy it into the receiver "
        "now: it is not shown again.",
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="“Every event” includes the kinds added later.",
    )
    description = forms.CharField(
        label="What it is for", max_length=DESCRIPTION_MAX, required=False
    )
    active = forms.BooleanField(label="Send events to it", required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The stored secret is never shown; left blank, it stays.
            self.fields["secret"].required = False
            self.fields[
                "secret"
            ].help_text = (
                "Leave blank to keep the current secret; a new one signs deliveries from now on."
            )

    def changes(self) -> dict[str, Any]:
        """What the service takes: a blank secret on the edit form means "keep it"."""
        data = dict(self.cleaned_data)
        if not data.get("secret"):
            data.pop("secret", None)
        return data
