"""The small rules of reading an email: subjects, dates, domains, hashtags, trimming."""

from __future__ import annotations

import datetime

import pytest

from email_intake.parsing import email_read, loose_date, words_trim
from email_intake.services import (
    company_for,
    company_from_domain,
    hashtags_read,
    title_from_subject,
)
from email_intake.tests.conftest import eml
from intake.tests.factories import ContactFactory, CustomerFactory, ProductAreaFactory

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        ("Fwd: Bulk export", "Bulk export"),
        ("FW: RE: Re: Bulk export", "Bulk export"),
        ("AW: WG: Rechnungen", "Rechnungen"),
        ("Re[2]: Dark mode", "Dark mode"),
        ("Fwd:", ""),
        ("Refunds are slow", "Refunds are slow"),  # a word that starts like a prefix stays
    ],
)
def test_title_from_subject(subject: str, title: str) -> None:
    assert title_from_subject(subject) == title


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("Mon, Nov 17, 2025 at 4:12\u202fPM", datetime.datetime(2025, 11, 17, 16, 12, tzinfo=UTC)),
        (
            "Tuesday, November 18, 2025 10:15 PM",
            datetime.datetime(2025, 11, 18, 22, 15, tzinfo=UTC),
        ),
        (
            "19 November 2025 at 17:30:05 CET",
            datetime.datetime(2025, 11, 19, 16, 30, 5, tzinfo=UTC),
        ),
        ("Thu, 20 Nov 2025 16:40:11 -0800", datetime.datetime(2025, 11, 21, 0, 40, 11, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("", None),
    ],
)
def test_dates_as_mail_clients_write_them(text: str, when: datetime.datetime | None) -> None:
    assert loose_date(text) == when


@pytest.mark.parametrize(
    ("domain", "company"),
    [
        ("acme-corp.example", "Acme Corp"),
        ("mail.globex.com", "Globex"),
        ("initech.co.uk", "Initech"),
        ("wonka_industries.de", "Wonka Industries"),
    ],
)
def test_a_company_named_from_a_domain(domain: str, company: str) -> None:
    assert company_from_domain(domain) == company


@pytest.mark.django_db
def test_who_the_company_is() -> None:
    hooli = CustomerFactory.create(name="Hooli Inc")
    ContactFactory.create(customer=hooli, email="gavin@hooli.example")
    assert company_for("Gavin@Hooli.example").name == "Hooli Inc"  # the contact's own
    assert company_for("richard@hooli.example").name == "Hooli Inc"  # the domain's
    assert company_for("dana@gmail.com").known is False
    assert company_for("ops@new-co.example").name == "New Co"


@pytest.mark.django_db
def test_hashtags_set_fields_and_the_rest_become_tags() -> None:
    billing = ProductAreaFactory.create(name="Billing", slug="billing")
    tags = hashtags_read("Urgent for them #critical #bug #billing #renewal #q4 &#39; issue#3")
    assert (tags.importance, tags.kind, tags.product_area) == ("critical", "bug", billing)
    assert tags.tags == ["renewal", "q4"]
    plain = hashtags_read("no tags here")
    assert (plain.importance, plain.kind, plain.product_area, plain.tags) == (
        "important",
        "feature_request",
        None,
        [],
    )


def test_quoted_history_and_signatures_are_trimmed_only_where_sure() -> None:
    text = "Please add SSO.\n\nThanks\n-- \nJo\nACME\n\nOn Mon, Nov 17, 2025 Sam wrote:\n> hi"
    assert words_trim(text) == "Please add SSO.\n\nThanks"
    assert words_trim("On second thought, we need SSO.") == "On second thought, we need SSO."
    assert words_trim("> only a quote") == "> only a quote"  # nothing would be left


def test_no_message_id_is_keyed_by_its_bytes() -> None:
    raw = eml("not_staff").replace(b"Message-ID: <customer-direct-0001@acme-corp.example>\n", b"")
    first, second = email_read(raw), email_read(raw + b"\nP.S.")
    assert first.key.startswith("sha256:")
    assert first.key != second.key
    assert email_read(eml("not_staff")).key == "<customer-direct-0001@acme-corp.example>"
