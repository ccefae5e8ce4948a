"""Helpers for tests: API clients as a user, browser log-in, screenshots."""

from __future__ import annotations

import os
from typing import Any

from rest_framework.test import APIClient

from accounts.models import User


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def log_in(page: Any, username: str, password: str = "pw") -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the page when SCREENSHOTS=dir is set, to look at by hand."""
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
