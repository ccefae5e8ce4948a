"""The ways feedback comes in and replies go out (email, Slack, …), for the admins' Channels page.

The page knows no channel: each app that runs one registers it from its AppConfig.ready() with
a function that reports its state now (configured or not, the last message received, the last
error) and, for its outbound side, one that sends a test through the outbox.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User


@dataclass(frozen=True)
class ChannelState:
    """What the Channels page shows of one channel."""

    configured: bool
    # How it is set up (an address, a URL without its password) or what to set when it is not.
    setup: str
    last_received_at: datetime.datetime | None = None
    last_error: str = ""
    last_error_at: datetime.datetime | None = None
    # The last test sent from the page, in words ("sent 2 min ago", "failed: …"), if any.
    last_test: str = ""


@dataclass(frozen=True)
class Channel:
    key: str
    name: str
    state: Callable[[], ChannelState]
    # Records a test message to `admin` through the outbox; returns what the admin is told.
    send_test: Callable[[User], str] | None = None
    test_label: str = "Send a test"


_channels: dict[str, Channel] = {}


def register(channel: Channel) -> None:
    """The calling app runs this channel; keys are unique."""
    known = _channels.get(channel.key)
    if known is not None and known != channel:
        raise ValueError(f"Channel {channel.key!r} is already registered.")
    _channels[channel.key] = channel


def channels() -> list[Channel]:
    """Every registered channel, in the order registered."""
    return list(_channels.values())


def channel_get(key: str) -> Channel | None:
    return _channels.get(key)
