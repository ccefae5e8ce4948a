"""Slack's row on the admins' Channels page: connected or not, the last request from Slack,
the last error, and a test message posted through the outbox to the local Slack."""

from __future__ import annotations

import pytest
from django.test import Client

from notifications import channels
from slack_app.services import activity_error, activity_request

pytestmark = pytest.mark.django_db


def test_the_slack_row_says_what_to_set_until_it_is_connected(settings) -> None:
    settings.SLACK_SIGNING_SECRET = settings.SLACK_BOT_TOKEN = ""
    slack = channels.channel_get("slack")
    assert slack is not None
    state = slack.state()
    assert not state.configured
    assert "SLACK_SIGNING_SECRET" in state.setup


def test_the_slack_row_shows_the_last_request_error_and_test(
    client: Client, admin_user, slack, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SLACK_SHIP_CHANNEL = "C0SHIP"
    activity_request()
    activity_error("views.open: Slack answered expired_trigger_id")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/channels/slack/test/", follow=True)
    assert "A test message to the ship channel is on its way" in answer.content.decode()
    [posted] = slack.posted()
    assert posted["channel"] == "C0SHIP"
    page = client.get("/channels/").content.decode()
    assert "Slack" in page
    assert "expired_trigger_id" in page
    assert "Test message to channel C0SHIP posted" in page
