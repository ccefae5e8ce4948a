"""Import and export in Chromium: a product manager uploads a CSV from another tool, sees the
preview with the row that cannot be imported, fixes the file, imports it, finds the tickets,
and exports the tickets as CSV."""

from __future__ import annotations

import csv
import datetime
import io
import re

from django.utils import timezone
from playwright.sync_api import expect

from intake.models import Ticket, TicketSource
from tests.helpers import log_in, screenshots

DAY = (timezone.localdate() - datetime.timedelta(days=20)).isoformat()
HEADER = "Title;Description;Company;Contact email;Importance;Date;Source team;Tags\n"
GOOD = (
    f"Export invoices to CSV;By hand every month;Acme Inc;jo@acme.example;critical;{DAY};sales;"
    "billing\n"
)
FORMULA = (
    f"=SUM(A1) in reports;They paste formulas;Globex;ops@globex.example;important;{DAY};support;\n"
)
BAD = f"Dark mode;At night;Initech;bill@initech.example;whenever;{DAY};sales;\n"


def _file(name: str, text: str) -> dict[str, object]:
    return {"name": name, "mimeType": "text/csv", "buffer": ("\ufeff" + text).encode()}


def test_a_pm_imports_a_csv_after_fixing_its_bad_row_and_exports_the_tickets(page, pm) -> None:
    pm.set_password("pw")
    pm.save()
    log_in(page, "pm")
    page.get_by_role("link", name="Data", exact=True).first.click()
    expect(page.get_by_role("heading", name="Import & export")).to_be_visible()
    screenshots(page, "transfer")

    page.get_by_label("CSV file", exact=True).set_input_files(
        _file("old-tool.csv", HEADER + GOOD + BAD)
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="1 row cannot be imported")).to_be_visible()
    problem = page.locator("#row-errors tbody tr")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("3")
    expect(problem).to_contain_text("importance")
    expect(problem).to_contain_text("“whenever” is not an importance")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    screenshots(page, "transfer-preview-error")
    assert not Ticket.objects.exists()

    page.get_by_role("link", name="Upload a fixed file").click()
    fixed = HEADER + GOOD + FORMULA + BAD.replace("whenever", "nice to have")
    page.get_by_label("CSV file", exact=True).set_input_files(_file("old-tool.csv", fixed))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="3 new tickets")).to_be_visible()
    expect(page.locator("#preview-rows tbody tr")).to_have_count(3)
    screenshots(page, "transfer-preview")
    page.get_by_role("button", name="Import 3 tickets").click()
    expect(page.get_by_text("Imported 3 tickets")).to_be_visible()
    assert Ticket.objects.filter(source=TicketSource.IMPORT).count() == 3
    screenshots(page, "transfer-imported")

    page.get_by_role("link", name="See the imported tickets").click()
    for title in ("Export invoices to CSV", "=SUM(A1) in reports", "Dark mode"):
        expect(page.get_by_role("link", name=title)).to_be_visible()

    page.goto("/data/")
    export = page.locator("#export li", has_text="Tickets")
    with page.expect_download() as download:
        export.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("feedbackloop-tickets-")
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = {row["title"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"Export invoices to CSV", "'=SUM(A1) in reports", "Dark mode"}
    assert rows["Export invoices to CSV"]["company"] == "Acme Inc"
    assert rows["Dark mode"]["importance"] == "nice_to_have"
