"""An initiative's work items in the team's tracker, and what happens when the work is done.

A product manager links an initiative to the issues and pull requests that deliver it (GitHub,
GitLab, Jira, Linear URLs). When the tracker says one is done (its signed webhook, received by
the webhooks app: an issue closed as completed, a pull request merged), the initiative is
marked "work done": the board shows it ready to ship, with a release note drafted from the
item's title. Its status does not change and no customer is told until a PM ships it
(triage.services.initiative_ship, the one owner of that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from triage.models import Initiative, InitiativeEvent, InitiativeStatus, Tracker, WorkItem
from triage.policies import ensure_may_change_triage

URL_MAX = 500
ITEMS_MAX = 20

_GITHUB = re.compile(r"^/([\w.-]+)/([\w.-]+)/(issues|pull)/(\d+)/?$")
_GITLAB = re.compile(r"^/((?:[\w.-]+/)+[\w.-]+)/-/(issues|merge_requests)/(\d+)/?$")
_JIRA = re.compile(r"^/browse/([A-Z][A-Z0-9_]+-\d+)/?$")
_LINEAR = re.compile(r"^/[\w.-]+/issue/([A-Z][A-Z0-9]*-\d+)(?:/[\w.%-]*)?/?$")


@dataclass(frozen=True)
class ParsedItem:
    tracker: Tracker
    key: str
    url: str


def work_item_key(
    tracker: Tracker,
    *,
    repository: str = "",
    number: int | str = "",
    merge_request: bool = False,
    identifier: str = "",
) -> str:
    """The key a tracker's item is stored under, from what its webhook says about it."""
    if tracker == Tracker.GITHUB:
        return f"{repository.lower()}#{number}"
    if tracker == Tracker.GITLAB:
        return f"{repository.lower()}{'!' if merge_request else '#'}{number}"
    return identifier.upper()


def work_item_parse(url: str) -> ParsedItem:
    """Which tracker's item a URL names, or a refusal that says which URLs are understood."""
    url = (url or "").strip()
    if len(url) > URL_MAX:
        raise DomainError(f"The link is longer than {URL_MAX} characters.", field="url")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path
    if parts.scheme in ("http", "https") and host:
        if host in ("github.com", "www.github.com"):
            found = _GITHUB.match(path)
            if found:
                owner, repo, _kind, number = found.groups()
                key = work_item_key(Tracker.GITHUB, repository=f"{owner}/{repo}", number=number)
                return ParsedItem(Tracker.GITHUB, key, url)
        found = _GITLAB.match(path)
        if found and (host == "gitlab.com" or "gitlab" in host):
            project, kind, number = found.groups()
            key = work_item_key(
                Tracker.GITLAB,
                repository=project,
                number=number,
                merge_request=kind == "merge_requests",
            )
            return ParsedItem(Tracker.GITLAB, key, url)
        found = _JIRA.match(path)
        if found and (host.endswith(".atlassian.net") or "jira" in host):
            return ParsedItem(Tracker.JIRA, work_item_key(Tracker.JIRA, identifier=found[1]), url)
        if host == "linear.app":
            found = _LINEAR.match(path)
            if found:
                key = work_item_key(Tracker.LINEAR, identifier=found[1])
                return ParsedItem(Tracker.LINEAR, key, url)
    raise DomainError(
        "Paste the link of a GitHub issue or pull request (github.com/owner/repo/pull/7), a "
        "GitLab issue or merge request (…/-/merge_requests/7), a Jira issue (…/browse/ENG-42) or "
        "a Linear issue (linear.app/team/issue/ENG-42).",
        field="url",
    )


@transaction.atomic
def work_item_add(*, initiative: Initiative, by: User, url: str) -> WorkItem:
    """Link a work item to an open initiative (a PM)."""
    ensure_may_change_triage(by)
    parsed = work_item_parse(url)
    current = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if current.status not in InitiativeStatus.open():
        raise DomainError(
            f"“{current.title}” is {current.get_status_display().lower()}; link work to an "
            "open initiative.",
            field="url",
        )
    if WorkItem.objects.filter(initiative=current, tracker=parsed.tracker, key=parsed.key).exists():
        raise DomainError(f"{parsed.key} is already linked here.", field="url", code="conflict")
    if WorkItem.objects.filter(initiative=current).count() >= ITEMS_MAX:
        raise DomainError(f"An initiative links at most {ITEMS_MAX} work items.", field="url")
    item = WorkItem.objects.create(
        initiative=current, tracker=parsed.tracker, key=parsed.key, url=parsed.url, added_by=by
    )
    InitiativeEvent.objects.create(
        initiative=current,
        actor=by,
        kind=InitiativeEvent.Kind.WORK_ITEM_ADDED,
        to_value=f"{item.get_tracker_display()} {item.key}",
    )
    return item


@transaction.atomic
def work_item_remove(*, work_item: WorkItem, by: User) -> None:
    """Unlink a work item (a PM); the initiative keeps "work done" if it was said."""
    ensure_may_change_triage(by)
    InitiativeEvent.objects.create(
        initiative=work_item.initiative,
        actor=by,
        kind=InitiativeEvent.Kind.WORK_ITEM_REMOVED,
        from_value=f"{work_item.get_tracker_display()} {work_item.key}",
    )
    work_item.delete()


def release_note_draft(title: str) -> str:
    """A first release note for the PM to edit, from the finished item's title."""
    title = " ".join(title.split()).rstrip(".")
    return f"{title}: now available." if title else ""


@transaction.atomic
def work_item_done(*, tracker: Tracker, key: str, title: str) -> list[Initiative]:
    """The tracker said this item is done (its webhook's signature was checked by the caller):
    each open initiative linking it is marked work done, with a release note drafted from
    `title` unless one was drafted before. Its status is not changed; nobody is emailed.
    Refuses (not found) when no open initiative links the item; saying it twice is harmless."""
    items = list(
        WorkItem.objects.select_related("initiative")
        .select_for_update(of=("self",))
        .filter(tracker=tracker, key=key, initiative__status__in=InitiativeStatus.open())
        .order_by("pk")
    )
    if not items:
        raise DomainError(
            f"No open initiative links {Tracker(tracker).label} {key}.", code="not_found"
        )
    now = timezone.now()
    title = " ".join(title.split())[:300]
    done: list[Initiative] = []
    for item in items:
        if item.done_at is None or (title and item.title != title):
            item.done_at = item.done_at or now
            item.title = title or item.title
            item.save(update_fields=["done_at", "title"])
        initiative = Initiative.objects.select_for_update().get(pk=item.initiative_id)
        if initiative.work_done_at is None:
            initiative.work_done_at = now
            if not initiative.release_note_draft:
                initiative.release_note_draft = release_note_draft(item.title or item.key)
            initiative.save(update_fields=["work_done_at", "release_note_draft", "updated_at"])
            InitiativeEvent.objects.create(
                initiative=initiative,
                kind=InitiativeEvent.Kind.WORK_DONE,
                to_value=f"{item.get_tracker_display()} {item.key}",
                note=item.title,
            )
        done.append(initiative)
    return done
