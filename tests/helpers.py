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


SIZES = ((1366, 900), (390, 844))  # a laptop and a phone


def screenshots(page: Any, name: str) -> None:
    """screenshot() at each of SIZES (name-1366x900.png, name-390x844.png), then the page goes
    back to its size; nothing when SCREENSHOTS is not set."""
    if not os.environ.get("SCREENSHOTS"):
        return
    size = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{width}x{height}")
    page.set_viewport_size(size)
