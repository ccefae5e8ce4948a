from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from core.choices import ANY, NONE, any_of
from core.forms import DomainErrorMixin, IdField
from core.text import MESSAGE_MAX, TEXT_MAX, TITLE_MAX
from intake.models import (
    CommentKind,
    Importance,
    Kind,
    ProductArea,
    Segment,
    SourceTeam,
    TicketSource,
    TicketStatus,
)


class TicketForm(DomainErrorMixin, forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Export invoices as CSV"}),
        help_text="The ask in a few words.",
    )
    description = forms.CharField(
        label="What the customer said",
        max_length=TEXT_MAX,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "In their words, as close as you can."}
        ),
    )
    company = forms.CharField(
        label="Company",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "company-options"}),
    )
    segment = forms.ChoiceField(
        choices=[("", NONE), *Segment.choices],
        required=False,
        help_text="For a company new here; one already known keeps its own.",
    )
    contact_name = forms.CharField(label="Contact name", max_length=200, required=False)
    email = forms.EmailField(label="Contact email", max_length=254)
    source_team = forms.ChoiceField(label="Team", choices=SourceTeam.choices)
    kind = forms.ChoiceField(choices=Kind.choices, initial=Kind.FEATURE_REQUEST)
    importance = forms.ChoiceField(
        label="Importance",
        help_text="How much it matters to this customer.",
        choices=Importance.choices,
        initial=Importance.IMPORTANT,
    )
    revenue_at_stake = forms.DecimalField(
        label="Revenue at stake ($)",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )
    product_area = forms.ModelChoiceField(
        queryset=ProductArea.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=NONE,
    )
    tags = forms.CharField(
        required=False,
        max_length=500,
        help_text="Comma-separated, e.g. billing, export",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As the ask is typed, htmx fetches similar feedback; as the company is typed, matches.
        for name in ("title", "description"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("intake:similar"),
                    "hx-trigger": "input changed delay:400ms",
                    "hx-target": "#similar",
                    "hx-include": "[name=title],[name=description]",
                    "hx-sync": "closest form:replace",
                }
            )
        self.fields["company"].widget.attrs.update(
            {
                "hx-get": reverse("intake:companies"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#company-options",
                "hx-swap": "outerHTML",
            }
        )

    def clean_company(self) -> str:
        company = " ".join(self.cleaned_data["company"].split())
        if not company:
            raise forms.ValidationError("Enter the customer's company name.")
        return company

    def clean_tags(self) -> list[str]:
        return [t for t in (part.strip() for part in self.cleaned_data["tags"].split(",")) if t]


class TicketEditForm(TicketForm):
    """The submitter's edit: the customer stays who it was."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("company", "segment", "contact_name", "email"):
            del self.fields[name]


class CompanyNameForm(DomainErrorMixin, forms.Form):
    """The company of a customer known only by a personal email address."""

    company = forms.CharField(
        label="Company",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "company-options"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].widget.attrs.update(
            {
                "hx-get": reverse("intake:companies"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#company-options",
                "hx-swap": "outerHTML",
            }
        )


class CommentForm(DomainErrorMixin, forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Add context for the product team…"}
        ),
    )
    kind = forms.ChoiceField(choices=CommentKind.choices, initial=CommentKind.COMMENT)


class AnswerForm(DomainErrorMixin, forms.Form):
    """The submitter's answer to a product manager's question, typed where it is asked
    (the home page's "Waiting on you"); each ticket's form has its own ids."""

    body = forms.CharField(
        label="Your answer",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What they need to know…"}),
    )

    def __init__(self, *args: Any, ticket_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"answer-{ticket_id}-%s"
        super().__init__(*args, **kwargs)


class TicketFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(choices=any_of(TicketStatus.choices), required=False)
    source_team = forms.ChoiceField(
        label="Team", choices=any_of(SourceTeam.choices), required=False
    )
    source = forms.ChoiceField(label="Source", choices=any_of(TicketSource.choices), required=False)
    kind = forms.ChoiceField(choices=any_of(Kind.choices), required=False)
    importance = forms.ChoiceField(choices=any_of(Importance.choices), required=False)
    product_area = forms.ModelChoiceField(
        queryset=ProductArea.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label=ANY,
    )
    company = forms.CharField(required=False, max_length=200)


class CompanyLookupForm(forms.Form):
    """What is typed in the company box (a NUL or 10,000 characters find nothing)."""

    company = forms.CharField(max_length=200, required=False, strip=True)


class SimilarLookupForm(forms.Form):
    """What is typed in the ticket form, while it is typed, to look for similar feedback."""

    title = forms.CharField(max_length=TITLE_MAX, required=False)
    description = forms.CharField(max_length=TEXT_MAX, required=False)


class OntoForm(forms.Form):
    """ "Same ask": the match picked in the similar-feedback panel, an initiative to file onto
    or a waiting ticket to make an initiative with."""

    initiative = IdField(required=False)
    same_as = IdField(required=False)
