"""Template filters every template has (settings' TEMPLATES builtins): how a time is said
relative to now, and how an empty value is shown."""

from __future__ import annotations

import datetime

from django import template
from django.template.defaultfilters import date
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.choices import NONE
from core.dates import relative

register = template.Library()


@register.filter(expects_localtime=True)
def ago(moment: datetime.datetime | None) -> SafeString | str:
    """The one way a time is said relative to now ('just now', '5 minutes ago', 'yesterday',
    'in 3 days'; Django's timesince says '0 minutes'): a <time> with the full date on hover."""
    if not moment:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        date(local, "M j, Y H:i"),
        relative(moment),
    )


@register.filter
def or_none(value: object) -> object:
    """The value, or the word for an optional choice left empty ("None"), muted."""
    if value is None or value == "" or value == [] or value == ():
        return format_html('<span class="muted">{}</span>', NONE)
    return value
