"""Importing feedback from CSV: the file as spreadsheets and other tools write it, the preview's
row-by-row refusals, all or nothing, and a second import of the same rows adding nothing."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.errors import DomainError
from intake.models import Contact, Ticket, TicketSource, TicketStatus
from intake.services import tickets_embed
from intake.tests.factories import ContactFactory, CustomerFactory
from transfer import feedback_csv
from transfer.models import FeedbackImport, ImportStatus
from transfer.selectors import import_preview
from transfer.services import feedback_import_run, feedback_import_start, feedback_import_upload
from triage.models import Initiative, InitiativeStatus
from triage.tests.factories import InitiativeFactory

HEADER = "title,description,company,contact email,importance,date,source team,tags,initiative\n"


def _day(days_ago: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat()


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode()


def row(n: int, **cells: str) -> str:
    values = {
        "title": f"Export invoices {n}",
        "description": f"They export invoices by hand every month ({n}).",
        "company": f"Acme {n}",
        "email": f"jo{n}@acme{n}.example",
        "importance": "important",
        "date": _day(30),
        "team": "sales",
        "tags": "billing;export",
        "initiative": "",
    }
    values.update(cells)
    return ",".join(_quote(v) for v in values.values())


def _quote(value: str) -> str:
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


# The file


def test_a_spreadsheet_file_with_a_bom_semicolons_and_quoted_cells_is_read() -> None:
    text = (
        "\ufeffTitle;Description;Company;Contact Email;Importance;Date;Source Team;Tags\n"
        f'"Export; with semicolons";"Line one\nline two, ""quoted""";Acme Inc;JO@Acme.example;'
        f"Critical;{_day(3)};Customer success;billing, CSV\n"
    )
    parsed = feedback_csv.parse(text.encode())
    assert parsed.delimiter == ";"
    assert not parsed.errors
    [only] = parsed.rows
    assert only.title == "Export; with semicolons"
    assert only.description == 'Line one\nline two, "quoted"'
    assert only.email == "jo@acme.example"
    assert only.importance == "critical"
    assert only.source_team == "customer_success"
    assert only.tags == ["billing", "csv"]
    assert only.date.date().isoformat() == _day(3)


def test_utf16_with_its_bom_and_tabs_is_read() -> None:
    text = HEADER.replace(",", "\t") + "\t".join(
        ["Café export", "Ça marche", "Société", "a@b.example", "nice to have", _day(1), "cs", ""]
    )
    parsed = feedback_csv.parse(text.encode("utf-16"))
    assert [r.title for r in parsed.rows] == ["Café export"]
    assert parsed.rows[0].source_team == "customer_success"


def test_a_file_in_another_encoding_is_refused_with_what_to_do() -> None:
    data = csv_file(row(1, company="Société Générale")).decode().encode("cp1252")
    with pytest.raises(DomainError, match=r"not UTF-8 text.*line 2.*CSV UTF-8"):
        feedback_csv.parse(data)


def test_missing_columns_are_named() -> None:
    with pytest.raises(DomainError, match="missing: importance, date"):
        feedback_csv.parse(b"title,description,company,email,source team\nx,y,z,a@b.example,x\n")


def test_too_many_rows_is_refused_before_reading_them_all() -> None:
    data = csv_file(*(row(n) for n in range(feedback_csv.MAX_ROWS + 1)))
    with pytest.raises(DomainError, match="more than 20,000 rows"):
        feedback_csv.parse(data)


def test_every_bad_cell_of_every_row_is_reported() -> None:
    data = csv_file(
        row(1),
        row(2, importance="whenever", email="not-an-email"),
        row(3, date="03/04/2025"),
        row(4, title="", date=_day(-30)),
    )
    parsed = feedback_csv.parse(data)
    assert [r.line for r in parsed.rows] == [2]
    found = {(e.line, e.column) for e in parsed.errors}
    assert found == {(3, "importance"), (3, "email"), (4, "date"), (5, "title"), (5, "date")}
    importance = next(e for e in parsed.errors if e.column == "importance")
    assert "“whenever” is not an importance; use one of: nice_to_have" in importance.message
    assert "2025-03-14" in next(e for e in parsed.errors if e.line == 4).message


def test_a_repeated_row_counts_once_even_spaced_and_cased_differently() -> None:
    data = csv_file(row(1), row(1, title="  EXPORT   invoices 1 "), row(2))
    parsed = feedback_csv.parse(data)
    assert [r.line for r in parsed.rows] == [2, 4]
    assert parsed.repeats == {3: 2}


# The import


@pytest.mark.django_db
def test_importing_files_every_row_through_intake_and_again_adds_nothing(pm: User) -> None:
    data = csv_file(*(row(n) for n in range(5)), row(5, initiative="Invoice export"))
    upload = feedback_import_upload(by=pm, filename="old-tool.csv", data=data)
    assert upload.status == ImportStatus.PREVIEWED
    assert not Ticket.objects.exists()

    feedback_import_start(feedback_import=upload, by=pm)
    done = feedback_import_run(import_id=upload.pk)

    assert done.status == ImportStatus.DONE
    assert done.created_count == 6
    tickets = Ticket.objects.all()
    assert {t.source for t in tickets} == {TicketSource.IMPORT}
    assert all(t.source_reference.startswith("import:") for t in tickets)
    # Their vectors are a worker's job (intake.tasks.embed_tickets), in batches.
    assert tickets_embed() == 6
    assert not Ticket.objects.filter(embedding__isnull=True).exists()
    assert {str(t.source_sent_at)[:10] for t in tickets} == {_day(30)}
    grouped = Ticket.objects.get(title="Export invoices 5")
    assert grouped.status == TicketStatus.LINKED
    assert grouped.initiative is not None
    assert grouped.initiative.title == "Invoice export"
    assert Ticket.objects.filter(status=TicketStatus.NEW).count() == 5
    # Searchable by its words, as a ticket filed in the browser.
    assert Ticket.objects.filter(search_vector="invoices").count() == 6

    again = feedback_import_upload(by=pm, filename="old-tool.csv", data=data)
    preview = import_preview(data=bytes(again.data))
    assert (len(preview.new), preview.known) == (0, 6)
    assert Ticket.objects.count() == 6
    assert Initiative.objects.count() == 1


@pytest.mark.django_db
def test_a_file_with_a_bad_row_imports_nothing(pm: User) -> None:
    upload = feedback_import_upload(
        by=pm, filename="f.csv", data=csv_file(row(1), row(2, importance="asap"))
    )
    with pytest.raises(DomainError, match="1 rows cannot be imported"):
        feedback_import_start(feedback_import=upload, by=pm)
    upload.refresh_from_db()
    assert upload.status == ImportStatus.PREVIEWED
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_row_that_fails_at_import_time_rolls_every_row_back(pm: User) -> None:
    upload = feedback_import_upload(by=pm, filename="f.csv", data=csv_file(row(1), row(2)))
    feedback_import_start(feedback_import=upload, by=pm)
    # Between preview and import, row 2's address became a contact at another company.
    ContactFactory.create(email="jo2@acme2.example", customer=CustomerFactory.create(name="Else"))
    failed = feedback_import_run(import_id=upload.pk)
    assert failed.status == ImportStatus.FAILED
    assert "Nothing was imported" in failed.error
    assert "jo2@acme2.example is a contact at Else" in failed.error
    assert not Ticket.objects.exists()
    assert not Contact.objects.filter(email="jo1@acme1.example").exists()


@pytest.mark.django_db
def test_a_closed_initiative_is_not_imported_onto(pm: User) -> None:
    InitiativeFactory.create(title="Invoice export", status=InitiativeStatus.SHIPPED)
    preview = import_preview(data=csv_file(row(1, initiative="invoice EXPORT")))
    [error] = preview.errors
    assert error.column == "initiative"
    assert "is shipped" in error.message


@pytest.mark.django_db
def test_an_admin_imports_but_does_not_group_into_initiatives(admin_user: User) -> None:
    feedback_import_upload(by=admin_user, filename="f.csv", data=csv_file(row(1)))
    with pytest.raises(DomainError, match="product manager's call"):
        feedback_import_upload(
            by=admin_user, filename="f.csv", data=csv_file(row(1, initiative="Export"))
        )


@pytest.mark.django_db
def test_a_submitter_may_not_import(submitter: User) -> None:
    with pytest.raises(DomainError) as refused:
        feedback_import_upload(by=submitter, filename="f.csv", data=csv_file(row(1)))
    assert refused.value.code == "forbidden"
    assert not FeedbackImport.objects.exists()


# The pages


@pytest.mark.django_db
def test_the_preview_page_lists_row_errors_and_imports(
    client, pm: User, django_capture_on_commit_callbacks, django_assert_max_num_queries
) -> None:
    client.force_login(pm)
    page = client.get(reverse("transfer:index"))
    assert page.status_code == 200
    data = csv_file(row(1), row(2, email="<b>nope</b>"))
    upload = {"file": _upload("feedback.csv", data)}
    answer = client.post(reverse("transfer:index"), upload)
    assert answer.status_code == 302
    preview_url = answer["Location"]
    with django_assert_max_num_queries(12):
        preview = client.get(preview_url).content.decode()
    assert "1 row cannot be imported" in preview
    assert "&lt;b&gt;nope&lt;/b&gt;" in preview
    assert "<b>nope</b>" not in preview
    assert "Import 1 ticket" not in preview

    fixed = client.post(
        reverse("transfer:index"), {"file": _upload("feedback.csv", csv_file(row(1), row(2)))}
    )
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(fixed["Location"] + "start/")
    assert started["Location"] == fixed["Location"]
    assert "Imported 2 tickets" in client.get(fixed["Location"]).content.decode()
    assert Ticket.objects.filter(source=TicketSource.IMPORT).count() == 2


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_is_refused_on_the_page(client, pm: User) -> None:
    client.force_login(pm)
    answer = client.post(
        reverse("transfer:index"), {"file": _upload("f.csv", "é".encode("latin-1"))}
    )
    assert answer.status_code == 400
    assert "Save it as “CSV UTF-8”" in answer.content.decode()
    assert not FeedbackImport.objects.exists()


@pytest.mark.django_db
def test_someone_elses_import_is_404(client, pm: User, admin_user: User) -> None:
    upload = feedback_import_upload(by=admin_user, filename="f.csv", data=csv_file(row(1)))
    client.force_login(pm)
    assert client.get(reverse("transfer:import", args=[upload.pk])).status_code == 404


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


# The command


@pytest.mark.django_db
def test_the_command_imports_checks_and_refuses_clearly(pm: User, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file(row(1), row(2)))
    call_command("import_feedback", str(good), "--as", "pm", "--dry-run")
    assert not Ticket.objects.exists()
    call_command("import_feedback", str(good), "--as", "pm")
    assert Ticket.objects.count() == 2
    call_command("import_feedback", str(good), "--as", "pm")
    assert Ticket.objects.count() == 2

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(row(3), row(4, importance="asap")))
    with pytest.raises(CommandError, match=r"Nothing was imported: 1 new.*1 refused"):
        call_command("import_feedback", str(bad), "--as", "pm")
    assert Ticket.objects.count() == 2
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_feedback", str(tmp_path / "missing.csv"), "--as", "pm")
    with pytest.raises(CommandError, match="No active user named 'nobody'"):
        call_command("import_feedback", str(good), "--as", "nobody")


@pytest.mark.django_db
def test_an_import_whose_task_was_lost_is_queued_again_and_runs_once(pm: User) -> None:
    from transfer.services import imports_resume

    lost = feedback_import_upload(by=pm, filename="lost.csv", data=csv_file(row(1)))
    fresh = feedback_import_upload(by=pm, filename="fresh.csv", data=csv_file(row(2)))
    # Started, but the broker never delivered the task (on_commit callbacks do not run here).
    feedback_import_start(feedback_import=lost, by=pm)
    feedback_import_start(feedback_import=fresh, by=pm)
    FeedbackImport.objects.filter(pk=lost.pk).update(
        queued_at=timezone.now() - datetime.timedelta(minutes=31)
    )

    assert imports_resume() == 1  # tasks run eagerly in the tests
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, fresh.status) == (ImportStatus.DONE, ImportStatus.QUEUED)
    assert feedback_import_run(import_id=lost.pk).status == ImportStatus.DONE
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_a_10000_row_file_from_another_tool_previews_in_a_few_queries(
    pm: User, django_assert_max_num_queries
) -> None:
    """The whole file is read and checked against the database at once: the queries do not grow
    with the rows (the import itself, 10,000 rows through the intake services, is timed in the
    README: minutes, on a worker)."""
    InitiativeFactory.create(title="Audit log")
    lines = [
        ";".join(
            [
                f"Ask {n}",
                f'"They said ""=SUM(A{n})""; twice"',
                f"Company {n % 700}",
                f"contact{n}@company{n % 700}.example",
                ("Nice to have", "important", "CRITICAL")[n % 3],
                _day(n % 300 + 1),
                ("sales", "Customer success", "support")[n % 3],
                "legacy, imported",
                "Audit log" if n % 4 == 0 else "",
            ]
        )
        for n in range(10_000)
    ]
    lines[10] = lines[9]  # a repeated row
    lines[22] = lines[22].replace("important", "whenever")  # a bad one
    header = "Title;Description;Company;Contact email;Importance;Date;Source team;Tags;Initiative"
    data = ("\ufeff" + header + "\n" + "\n".join(lines) + "\n").encode()
    with django_assert_max_num_queries(6):
        preview = import_preview(data=data)
    assert len(preview.new) == 9_998
    assert preview.repeats == {12: 11}
    assert [(e.line, e.column) for e in preview.errors] == [(24, "importance")]
    assert preview.new[0].description == 'They said "=SUM(A0)"; twice'
    assert preview.initiatives["Audit log"] is not None
