"""Realistic demo feedback for `seed_demo`; running it again adds nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from core.dates import month_next, review_day
from intake.models import Customer, ProductArea, Segment, Ticket
from intake.services import customer_get_or_create, ticket_create
from sessions.models import Session, SessionKind, SessionStatus, Topic
from sessions.services import review_create, workshop_schedule
from triage.models import Initiative, InitiativeStatus
from triage.scoring import scores_backfill
from triage.services import (
    initiative_create,
    initiative_customer_add,
    initiative_move,
    initiative_ship,
    ticket_link,
)

AREAS = ["Billing", "Reporting", "Integrations", "Onboarding", "Mobile app", "Permissions"]

CUSTOMERS = [
    ("Acme Corp", Segment.ENTERPRISE, 480_000),
    ("Globex", Segment.ENTERPRISE, 320_000),
    ("Initech", Segment.MID_MARKET, 95_000),
    ("Umbrella Health", Segment.ENTERPRISE, 610_000),
    ("Hooli", Segment.MID_MARKET, 140_000),
    ("Soylent Foods", Segment.SMB, 24_000),
    ("Wayne Logistics", Segment.MID_MARKET, 180_000),
    ("Pied Piper", Segment.STARTUP, 12_000),
]

INITIATIVES = [
    (
        "CSV export for invoices",
        "Finance teams reconcile invoices in spreadsheets and copy them by hand today.",
        "billing",
        InitiativeStatus.PLANNED,
    ),
    (
        "Single sign-on with Okta",
        "Enterprise IT requires SSO before rolling out to all staff.",
        "permissions",
        InitiativeStatus.PROPOSED,
    ),
    (
        "Offline mode for the mobile app",
        "Field staff lose work when they go out of coverage.",
        "mobile-app",
        InitiativeStatus.IN_PROGRESS,
    ),
]

# (title, what the customer said, company, contact, importance, kind, submitter, initiative)
TICKETS = [
    (
        "Export invoices as CSV",
        "Our finance team needs every invoice as a CSV file each month for the audit.",
        "Acme Corp",
        "jane.doe@acme.example",
        "critical",
        "feature_request",
        "sales",
        0,
    ),
    (
        "Download invoices to Excel",
        "We copy invoices into Excel by hand; a download would save us a day a month.",
        "Globex",
        "li.wei@globex.example",
        "important",
        "feature_request",
        "success",
        0,
    ),
    (
        "Invoice export",
        "Would be nice to export invoices for our accountant.",
        "Initech",
        "bill@initech.example",
        "nice_to_have",
        "feature_request",
        "onboarding",
        0,
    ),
    (
        "SSO with Okta",
        "IT won't approve the rollout to 2,000 seats without Okta SSO.",
        "Umbrella Health",
        "it-admin@umbrella.example",
        "critical",
        "feature_request",
        "sales",
        1,
    ),
    (
        "Log in with our company accounts",
        "People keep forgetting a second password.",
        "Hooli",
        "gavin@hooli.example",
        "important",
        "friction",
        "success",
        1,
    ),
    (
        "App loses my notes offline",
        "Drivers lose their delivery notes when they drive through tunnels.",
        "Wayne Logistics",
        "ops@wayne.example",
        "critical",
        "bug",
        "success",
        2,
    ),
    (
        "Bulk edit permissions",
        "Changing roles for 40 new hires one by one took an afternoon.",
        "Acme Corp",
        "jane.doe@acme.example",
        "important",
        "friction",
        "onboarding",
        None,
    ),
    (
        "Weekly usage report by email",
        "Managers want a Monday email with last week's usage.",
        "Soylent Foods",
        "cfo@soylent.example",
        "nice_to_have",
        "feature_request",
        "sales",
        None,
    ),
    (
        "Slack notifications for approvals",
        "Approvers live in Slack and miss the emails.",
        "Pied Piper",
        "richard@piedpiper.example",
        "important",
        "feature_request",
        "success",
        None,
    ),
    (
        "Onboarding checklist is confusing",
        "New admins didn't know they had to invite users before setting up teams.",
        "Globex",
        "li.wei@globex.example",
        "important",
        "friction",
        "onboarding",
        None,
    ),
]


def seed_feedback() -> int:
    """Create the demo product areas, customers, initiatives and tickets that are missing."""
    for name in AREAS:
        ProductArea.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    for name, segment, revenue in CUSTOMERS:
        customer = customer_get_or_create(company=name)
        if customer.annual_revenue is None:
            Customer.objects.filter(pk=customer.pk).update(
                segment=segment, annual_revenue=Decimal(revenue)
            )
    pm = User.objects.get(username="pm")
    initiatives = []
    for title, description, area, status in INITIATIVES:
        initiative, _ = Initiative.objects.get_or_create(
            title=title,
            defaults={
                "description": description,
                "product_area": ProductArea.objects.get(slug=area),
                "owner": pm,
                "status": status,
            },
        )
        initiatives.append(initiative)
    created = 0
    for title, said, company, email, importance, kind, username, target in TICKETS:
        if Ticket.objects.filter(title=title, customer__name_key=company.casefold()).exists():
            continue
        submitter = User.objects.get(username=username)
        fields: dict[str, Any] = {
            "title": title,
            "description": said,
            "company": company,
            "email": email,
            "contact_name": email.split("@")[0].replace(".", " ").title(),
            "source_team": submitter.team,
            "kind": kind,
            "importance": importance,
        }
        if target is None:
            ticket_create(submitted_by=submitter, **fields)
        else:
            initiative_customer_add(
                initiative=initiatives[target], submitted_by=submitter, **fields
            )
        created += 1
    return created


# A past the insights page can show: when each demo ask came in, and one initiative that shipped.
SHIPPED = (
    "Bulk user import",
    "Admins add hundreds of users by hand when a new department joins.",
    "onboarding",
    "Upload a CSV of users from Settings → People; invites go out in one go.",
    [
        ("Import users from a spreadsheet", "Hooli", "ops@hooli.example", "critical", "success"),
        ("Add 300 users at once", "Umbrella Health", "it@umbrella.example", "important", "sales"),
        ("Bulk invite", "Initech", "bill@initech.example", "nice_to_have", "onboarding"),
    ],
)


def seed_history() -> bool:
    """Spread the demo tickets over the last ten weeks, ship one initiative whose customers are
    emailed (for real, through the outbox), and rebuild month-start scores from the tickets'
    dates. Only on a fresh demo database; returns whether it ran."""
    title, problem, area, note, asks = SHIPPED
    if Initiative.objects.filter(title=title).exists():
        return False
    pm = User.objects.get(username="pm")
    now = timezone.now()
    for index, ticket in enumerate(Ticket.objects.order_by("pk")):
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(days=3 + 7 * index, hours=index)
        )
    initiative = initiative_create(
        by=pm,
        title=title,
        description=problem,
        product_area=ProductArea.objects.get(slug=area),
    )
    for index, (ask, company, email, importance, username) in enumerate(asks):
        submitter = User.objects.get(username=username)
        ticket = ticket_create(
            submitted_by=submitter,
            title=ask,
            description=f"{company} asked: {ask.lower()}.",
            company=company,
            email=email,
            source_team=submitter.team,
            kind="feature_request",
            importance=importance,
        )
        ticket_link(ticket=ticket, initiative=initiative, by=pm)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(days=75 - 9 * index))
    for status in (InitiativeStatus.PLANNED, InitiativeStatus.IN_PROGRESS):
        initiative_move(initiative=initiative, by=pm, status=status)
    initiative_ship(initiative=initiative, by=pm, release_note=note)
    scores_backfill(months=3)
    return True


WORKSHOP = (
    "What slows new admins down",
    "An hour with the people who onboard customers: what new admins trip over in their first "
    "week, and which of it the onboarding initiatives should take on.",
    "Video call (link in the invite)",
    ["pm", "sales", "success", "onboarding"],
)


def seed_sessions() -> list[Session]:
    """An upcoming monthly review with its agenda and an upcoming workshop with invitees, when
    the demo has none, so the sessions page shows both from the start (beat makes the following
    months' reviews). Returns the sessions it made."""
    now = timezone.now()
    upcoming = Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now)
    made = []
    if not upcoming.filter(kind=SessionKind.MONTHLY_REVIEW).exists():
        this_month = timezone.localdate()
        month = this_month if review_day(this_month) > now else month_next(this_month)
        review, created = review_create(month=month)
        if created:
            made.append(review)
    if not upcoming.filter(kind=SessionKind.WORKSHOP).exists():
        title, description, location, invitees = WORKSHOP
        in_a_week = timezone.localdate() + timedelta(days=8)
        starts_at = timezone.make_aware(datetime.combine(in_a_week, time(14, 0)))
        made.append(
            workshop_schedule(
                by=User.objects.get(username="facilitator"),
                title=title,
                topic=Topic.FRICTION_POINTS,
                starts_at=starts_at,
                duration_minutes=60,
                description=description,
                location=location,
                invitees=list(User.objects.filter(username__in=invitees)),
                product_area=ProductArea.objects.get(slug="onboarding"),
                tags=["onboarding", "admins"],
            )
        )
    return made
