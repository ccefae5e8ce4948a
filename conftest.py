"""Fixtures every test can use: one user per role, API clients, and a Chromium page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Role, Team, User
from accounts.tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _similarity_forgets() -> Iterator[None]:
    """Similar-feedback search keeps a per-process copy of the vectors, and themes their last
    grouping in the cache; each test's database starts again, so they do too."""
    from intake.services import tickets_embed_forget
    from triage import similarity, themes

    similarity.forget()
    # The cache may be Redis, shared by every test: a theme search (or tickets' embedding)
    # asked for by a test whose tasks went to a broker no worker read must not hold the next
    # tests' back.
    themes.forget()
    tickets_embed_forget()
    yield
    similarity.forget()


@pytest.fixture
def submitter(db: None) -> User:
    return UserFactory.create(username="sales", role=Role.SUBMITTER, team=Team.SALES)


@pytest.fixture
def other_submitter(db: None) -> User:
    return UserFactory.create(username="success", role=Role.SUBMITTER, team=Team.CUSTOMER_SUCCESS)


@pytest.fixture
def pm(db: None) -> User:
    return UserFactory.create(username="pm", role=Role.PRODUCT_MANAGER, team=Team.PRODUCT)


@pytest.fixture
def facilitator(db: None) -> User:
    return UserFactory.create(username="facilitator", role=Role.FACILITATOR, team=Team.PRODUCT)


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(
        username="admin", role=Role.ADMIN, team=Team.OTHER, is_staff=True, is_superuser=True
    )


@pytest.fixture
def slack(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A local Slack (tests/slack.py) answering the Web API, and the app connected to it."""
    from slack_app import client
    from tests.slack import SIGNING_SECRET, TOKEN, SlackServer

    server = SlackServer()
    server.start()
    # Slack answers in milliseconds, but a suite on a loaded machine may not: the 2 s a call in
    # a request may take is tested on its own (test_a_slow_slack_still_gets_its_answer…).
    monkeypatch.setattr(client, "IN_REQUEST_TIMEOUT", 10)
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.SLACK_API_URL = server.url
    settings.SLACK_SHIP_CHANNEL = ""
    yield server.fake
    server.stop()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        pytest.fail(f"Browser tests need Chromium at {chromium} (make test installs it as root).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory, live_server: Any) -> Iterator[Any]:
    """A real OpenID Connect provider (tests/oidc.py), one for the run; it knows FeedbackLoop's
    callback on the test client's host and on the live server."""
    from tests.oidc import OidcProvider

    provider = OidcProvider(
        tmp_path_factory.mktemp("oidc"),
        ["http://testserver/sso/callback/", f"{live_server.url}/sso/callback/"],
    )
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def oidc(oidc_provider: Any, settings: Any) -> Iterator[Any]:
    """FeedbackLoop set up to sign in through the test provider, its people as tests/oidc.py
    lists them."""
    from django.core.cache import cache

    from tests.oidc import CLIENT_ID, CLIENT_SECRET, DOMAIN, PEOPLE

    oidc_provider.people_set(PEOPLE)
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ALLOWED_DOMAINS = [DOMAIN]
    settings.OIDC_PROVIDER_NAME = "Northwind SSO"
    cache.clear()
    yield oidc_provider
    cache.clear()
