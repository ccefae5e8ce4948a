"""/api/docs/ works without internet: Swagger UI's scripts, styles and icon are served by this
app (drf-spectacular-sidecar), and the page names no other host."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client

from accounts.models import User


def test_the_api_docs_load_only_local_assets(submitter: User) -> None:
    client = Client()
    client.force_login(submitter)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()

    assert "//" not in re.sub(r"(?s)<script>.*?</script>", "", html).replace("<!DOCTYPE", "")
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    assert any(asset.endswith("swagger-ui.css") for asset in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file"
    # The inline script that starts Swagger UI asks this server for the schema.
    assert '"/api/schema/"' in html or "'/api/schema/'" in html, html


def test_the_docs_and_their_assets_answer_in_a_browser_without_a_network(
    page, live_server, submitter: User
) -> None:
    from tests.helpers import log_in

    submitter.set_password("pw")
    submitter.save()
    outside: list[str] = []

    def refuse(route) -> None:
        """Anything not on the live server fails, as it would behind a firewall."""
        outside.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(?!" + re.escape(live_server.url) + ").*"), refuse)
    log_in(page, "sales")
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "FeedbackLoop API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()
    assert outside == []
