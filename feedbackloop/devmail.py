"""Development mail: with DEBUG on and no EMAIL_URL nothing is sent; each message is written to
DATA_DIR/mail as an .eml file (what an SMTP server would have received), and the "Sent mail"
page shows them as their recipients would see them."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

# What the backend names its files; anything else in the folder is not one of ours.
NAME = re.compile(r"\A\d{8}-\d{6}-\d{6}-[0-9a-f]{8}\.eml\Z")


def mail_folder() -> Path:
    return Path(getattr(settings, "EMAIL_FILE_PATH", settings.DATA_DIR / "mail"))


class EmlBackend(BaseEmailBackend):
    """One .eml file per message, named so that the newest sorts last; written to a hidden
    name first and renamed, so the page never reads half a message."""

    def send_messages(self, email_messages: Sequence[DjangoEmailMessage]) -> int:
        folder = mail_folder()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            partial = folder / f".{name}.partial"
            partial.write_bytes(message.message().as_bytes())
            partial.replace(folder / name)
        return len(email_messages)


@dataclass(frozen=True)
class Sent:
    """One message, as the list shows it."""

    name: str
    subject: str
    sender: str
    to: str
    date: datetime.datetime | None


def _parse(path: Path, *, headers_only: bool = False) -> EmailMessage:
    with path.open("rb") as file:
        message = BytesParser(policy=policy.default).parse(file, headersonly=headers_only)
    assert isinstance(message, EmailMessage)
    return message


def _date(message: EmailMessage) -> datetime.datetime | None:
    try:
        return parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None


def sent_names() -> list[str]:
    """Every message's file name, newest first."""
    folder = mail_folder()
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if NAME.match(p.name)), reverse=True)


def sent_summaries(names: Sequence[str]) -> list[Sent]:
    """The headers of these messages (a page of them: each is a file to read)."""
    summaries = []
    for name in names:
        try:
            message = _parse(mail_folder() / name, headers_only=True)
        except OSError:
            continue  # removed meanwhile
        summaries.append(
            Sent(
                name=name,
                subject=str(message["Subject"] or "(no subject)"),
                sender=str(message["From"] or ""),
                to=str(message["To"] or ""),
                date=_date(message),
            )
        )
    return summaries


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Shown:
    """One message, whole: what the recipient's mail program would show."""

    name: str
    headers: list[tuple[str, str]]
    subject: str
    date: datetime.datetime | None
    html: str
    text: str
    attachments: list[Attachment]


def _attachment_parts(message: EmailMessage) -> list[Any]:
    return list(message.iter_attachments())


def sent_get(name: str) -> Shown | None:
    """The message in this file; None for a name that is not one of the backend's files."""
    path = mail_folder() / name
    if not NAME.match(name) or not path.is_file():
        return None
    message = _parse(path)
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    attachments = []
    for index, part in enumerate(_attachment_parts(message)):
        payload = part.get_payload(decode=True) or b""
        attachments.append(
            Attachment(
                index=index,
                filename=part.get_filename() or f"attachment-{index + 1}",
                content_type=part.get_content_type(),
                size=len(payload),
            )
        )
    return Shown(
        name=name,
        headers=[(key, str(value)) for key, value in message.items()],
        subject=str(message["Subject"] or "(no subject)"),
        date=_date(message),
        html=html_part.get_content() if html_part is not None else "",
        text=text_part.get_content() if text_part is not None else "",
        attachments=attachments,
    )


def sent_attachment(name: str, index: int) -> tuple[str, bytes] | None:
    """An attachment's file name and bytes, or None."""
    path = mail_folder() / name
    if not NAME.match(name) or not path.is_file():
        return None
    parts = _attachment_parts(_parse(path))
    if not 0 <= index < len(parts):
        return None
    part = parts[index]
    return part.get_filename() or f"attachment-{index + 1}", part.get_payload(decode=True) or b""


def sent_raw(name: str) -> bytes | None:
    path = mail_folder() / name
    if not NAME.match(name) or not path.is_file():
        return None
    return path.read_bytes()
