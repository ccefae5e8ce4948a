"""Who customer emails come from: the company (COMPANY_NAME, COMPANY_LOGO_URL), not the tool,
and whom a customer's reply reaches: a person. Staff emails keep DEFAULT_FROM_EMAIL as it is."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.templatetags.static import static


@dataclass(frozen=True)
class Company:
    """What a customer email says of the company: its name (blank: not configured) and the
    absolute address of its logo (blank: none)."""

    name: str
    logo_url: str


def company() -> Company:
    """The company as configured; a logo given as a path under static/ is served by this site."""
    logo = settings.COMPANY_LOGO_URL
    if logo and "://" not in logo:
        logo = settings.SITE_URL + static(logo.lstrip("/"))
    return Company(name=settings.COMPANY_NAME, logo_url=logo)


def _one_line(text: str) -> str:
    """A display name fit for a header: one line (a line break there would start a header)."""
    return " ".join(text.split())


def company_from_email() -> str:
    """DEFAULT_FROM_EMAIL's address under the company's name; as it is without COMPANY_NAME."""
    name = company().name
    if not name:
        return str(settings.DEFAULT_FROM_EMAIL)
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((_one_line(name), address))


def person_address(*, name: str, email: str) -> str:
    """`"Sam Seller" <sam@…>`, for a Reply-To that reaches that person."""
    return formataddr((_one_line(name), email))
