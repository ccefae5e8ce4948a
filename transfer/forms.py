from __future__ import annotations

from django import forms

from core.forms import DomainErrorMixin
from transfer.feedback_csv import MAX_BYTES, MAX_ROWS


class ImportForm(DomainErrorMixin, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "Columns: title, description, company, contact email, importance, date, source "
            "team; optional tags, initiative, contact name, kind. Comma, semicolon or tab "
            f"separated, UTF-8; up to {MAX_ROWS:,} rows and {MAX_BYTES // 1024 // 1024} MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
    )
