"""The "File as feedback" modal in Block Kit: what it shows, and what a submission says.

Every block an answer comes from keeps its block_id across the updates (the similar
initiatives arrive after the modal opened), so Slack keeps what the rep already typed; the
block ids are the service's field names, so a refusal lands on its field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from core.text import TITLE_MAX
from intake.models import Importance, Kind, ProductArea, Ticket
from triage.models import Initiative, InitiativeStatus

CALLBACK_ID = "file_feedback"
# Block Kit's limits: a text input's value, an option's text and value, options in a menu.
INPUT_MAX = 3000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
SIMILAR_MAX = 5
NEW_COMPANY = "new:"
ON_ITS_OWN = "own"


@dataclass(frozen=True)
class Origin:
    """What the modal was opened from, carried in its private_metadata: the staff user it files
    as, the Slack user, and the message (channel, timestamp, permalink, its author's Slack id
    and name) if any."""

    user_id: int
    slack_user: str
    text: str = ""
    channel: str = ""
    message_ts: str = ""
    permalink: str = ""
    author: str = ""
    author_name: str = ""

    def dumps(self) -> str:
        # The message's words are in the modal already; private_metadata holds 3,000 characters.
        return json.dumps({**asdict(self), "text": ""}, separators=(",", ":"))

    @classmethod
    def loads(cls, metadata: str, *, text: str = "") -> Origin:
        """Raises ValueError (or KeyError, TypeError) for metadata this app did not write."""
        data = json.loads(metadata)
        if not isinstance(data, dict):
            raise ValueError("private_metadata is not an object")
        fields = ("slack_user", "channel", "message_ts", "permalink", "author", "author_name")
        known = {key: str(data.get(key) or "") for key in fields}
        return cls(user_id=int(data["user_id"]), text=text, **known)


def _plain(text: str, limit: int = OPTION_TEXT_MAX) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text or " ", "emoji": False}


_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _readable(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("@", "#")):  # a person or a channel: its name if Slack gave one
        return target[0] + label if label else target
    if target.startswith("!"):  # @here, @channel, a date
        return label or "@" + target[1:].split("^", 1)[0]
    if label and label not in (target, target.removeprefix("mailto:")):
        return f"{label} ({target})"
    return label or target


def slack_text_plain(text: str) -> str:
    """A Slack message's text as a person reads it: links as "label (url)", mentions as
    @name, and Slack's escaped &, < and > as themselves."""
    text = _MARKUP.sub(_readable, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters, so stored text never becomes a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _option(text: str, value: str, description: str = "") -> dict[str, Any]:
    option: dict[str, Any] = {"text": _plain(text), "value": value[:OPTION_VALUE_MAX]}
    if description:
        option["description"] = _plain(description)
    return option


def _choices(choices: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    return [_option(label, value) for value, label in choices]


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False,
           hint: str = "") -> dict[str, Any]:  # fmt: skip
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {"action_id": "value", **element},
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint, 150)
    return block


def _select(choices: Sequence[tuple[str, str]], initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "options": _choices(choices)}
    if initial is not None:
        element["initial_option"] = next(o for o in element["options"] if o["value"] == initial)
    return element


def title_from(text: str) -> str:
    """A title to start from: the message's first line, cut at a word."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) <= 80:
        return first
    return first[:80].rsplit(" ", 1)[0] + "…"


def _similar_blocks(similar: Sequence[Initiative] | None) -> list[dict[str, Any]]:
    if similar is None:
        return [_context("Looking for similar initiatives…")]
    takes = [i for i in similar if i.status != InitiativeStatus.DECLINED][:SIMILAR_MAX]
    declined = [i for i in similar if i.status == InitiativeStatus.DECLINED]
    if not takes and not declined:
        return [_context("No similar initiative yet: the ticket will wait in the inbox.")]
    blocks: list[dict[str, Any]] = []
    if takes:
        options = [_option("File it on its own", ON_ITS_OWN, "It waits in the inbox")]
        for initiative in takes:
            shipped = initiative.status == InitiativeStatus.SHIPPED
            note = "already shipped: the customer is told at once" if shipped else ""
            options.append(
                _option(
                    initiative.title,
                    f"initiative:{initiative.pk}",
                    note or initiative.get_status_display(),
                )
            )
        blocks.append(
            _input(
                "initiative",
                "Same ask as an initiative?",
                {"type": "radio_buttons", "options": options},
                optional=True,
                hint="Choosing one adds this customer to it.",
            )
        )
    for initiative in declined[:3]:
        reason = f": {initiative.decline_reason}" if initiative.decline_reason else ""
        blocks.append(_context(f"Declined, “{initiative.title}”{reason}"))
    return blocks


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_plain(text, 2000)]}


def filing_view(
    *,
    origin: Origin,
    product_areas: Sequence[ProductArea],
    similar: Sequence[Initiative] | None = None,
) -> dict[str, Any]:
    """The modal: the message's words to start from, the customer, how it matters, what kind,
    which product area, and the similar initiatives (None while they are looked up)."""
    blocks: list[dict[str, Any]] = []
    if origin.permalink:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"From <{origin.permalink}|this message>"}],
            }
        )
    blocks += [
        _input(
            "title",
            "Title",
            {
                "type": "plain_text_input",
                "initial_value": title_from(origin.text),
                "max_length": TITLE_MAX,
                "placeholder": _plain("The ask in a few words"),
            },
        ),
        _input(
            "description",
            "What the customer said",
            {
                "type": "plain_text_input",
                "multiline": True,
                "initial_value": origin.text[:INPUT_MAX],
                "max_length": INPUT_MAX,
            },
        ),
        _input(
            "company",
            "Customer company",
            {
                "type": "external_select",
                "min_query_length": 1,
                "placeholder": _plain("Type the company's name"),
            },
        ),
        _input("email", "Contact email", {"type": "email_text_input"}),
        _input("importance", "Importance", _select(Importance.choices, Importance.IMPORTANT)),
        _input("kind", "Kind", _select(Kind.choices, Kind.FEATURE_REQUEST)),
    ]
    if product_areas:
        areas = [(area.slug, area.name) for area in product_areas[:OPTIONS_MAX]]
        blocks.append(_input("product_area", "Product area", _select(areas), optional=True))
    blocks += _similar_blocks(similar)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": _plain("File as feedback", 24),
        "submit": _plain("File", 24),
        "close": _plain("Cancel", 24),
        "private_metadata": origin.dumps(),
        "blocks": blocks,
    }


def filed_view(ticket: Ticket, initiative: Initiative | None) -> dict[str, Any]:
    """What the modal turns into once filed: what happened, and a link to the ticket."""
    url = settings.SITE_URL + reverse("intake:detail", args=[ticket.pk])
    said = f"Filed #{ticket.pk} “{ticket.title}” for {ticket.customer.name}"
    if initiative is not None:
        said += f", counted for “{initiative.title}”"
        if initiative.status == InitiativeStatus.SHIPPED:
            said += f"; it already shipped, so {ticket.contact.email} is being told"
    return {
        "type": "modal",
        "title": _plain("Filed", 24),
        "close": _plain("Done", 24),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_escape(said) + "."}},
            {
                "type": "actions",
                "elements": [{"type": "button", "text": _plain("Open the ticket"), "url": url}],
            },
        ],
    }


def message_view(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (when Slack asked for a form we cannot show)."""
    return {
        "type": "modal",
        "title": _plain(title, 24),
        "close": _plain("Close", 24),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_escape(text)}}],
    }


def company_options(names: Sequence[tuple[str, str]], typed: str) -> list[dict[str, Any]]:
    """The company menu's suggestions: known customers, then what was typed as a new one."""
    options = [_option(name, value) for value, name in names]
    typed = " ".join(typed.split())
    known = {name.casefold() for _, name in names}
    if typed and typed.casefold() not in known and len(NEW_COMPANY + typed) <= OPTION_VALUE_MAX:
        options.append(_option(f"New: {typed}", NEW_COMPANY + typed))
    return options[:OPTIONS_MAX]


@dataclass(frozen=True)
class Submission:
    """What the rep submitted, by field (the service checks each)."""

    title: str
    description: str
    company: str
    customer_id: int | None
    email: str
    importance: str
    kind: str
    product_area: str
    initiative_id: int | None


def _answer(values: dict[str, Any], block_id: str) -> str:
    block = values.get(block_id)
    element = block.get("value") if isinstance(block, dict) else None
    if not isinstance(element, dict):
        return ""
    if "selected_option" in element:
        selected = element.get("selected_option") or {}
        return str(selected.get("value") or "") if isinstance(selected, dict) else ""
    return str(element.get("value") or "")


def _id_after(prefix: str, value: str) -> int | None:
    rest = value.removeprefix(prefix)
    return int(rest) if value.startswith(prefix) and rest.isdigit() and len(rest) < 12 else None


def submission_read(state_values: dict[str, Any]) -> Submission:
    """The answers in a view_submission's state.values, each as text (empty if missing)."""
    company = _answer(state_values, "company")
    return Submission(
        title=_answer(state_values, "title"),
        description=_answer(state_values, "description"),
        company=company.removeprefix(NEW_COMPANY) if company.startswith(NEW_COMPANY) else "",
        customer_id=_id_after("customer:", company),
        email=_answer(state_values, "email"),
        importance=_answer(state_values, "importance"),
        kind=_answer(state_values, "kind"),
        product_area=_answer(state_values, "product_area"),
        initiative_id=_id_after("initiative:", _answer(state_values, "initiative")),
    )


# A service's refusal names a field; the modal shows it under the block it came from.
FIELD_BLOCKS = {
    "title": "title",
    "description": "description",
    "company": "company",
    "email": "email",
    "contact_name": "email",
    "importance": "importance",
    "kind": "kind",
    "product_area": "product_area",
    "initiative": "initiative",
}


def errors_response(
    errors: dict[str, str], view_blocks: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Slack's `response_action: errors`, each message under its input block (one the modal
    does not show goes under the description, so it is never lost)."""
    shown = {block.get("block_id") for block in view_blocks if block.get("type") == "input"}
    placed: dict[str, str] = {}
    for field, message in errors.items():
        block = FIELD_BLOCKS.get(field, "description")
        block = block if block in shown else "description"
        placed[block] = f"{placed[block]} {message}" if block in placed else message
    return {"response_action": "errors", "errors": placed}
