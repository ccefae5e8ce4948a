"""The import and export page: upload a feedback CSV, see its preview (every row that cannot be
imported, with why), import it; download everything as CSV or JSON."""

from __future__ import annotations

from typing import Any

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.errors import DomainError
from core.http import domain_error_response, require
from transfer import exports
from transfer.forms import ImportForm
from transfer.models import FeedbackImport, ImportStatus
from transfer.policies import (
    ensure_may_export,
    ensure_may_import_feedback,
    may_export,
    may_import_feedback,
)
from transfer.selectors import Preview, import_get, import_preview, imports_of
from transfer.services import export_stream, feedback_import_start, feedback_import_upload


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _may_either(user: Any) -> None:
    if not may_export(user):
        ensure_may_import_feedback(user)


def _index_context(request: HttpRequest, form: ImportForm) -> dict[str, Any]:
    user = _user(request)
    return {
        "form": form,
        "imports": list(imports_of(user=user)) if may_import_feedback(user) else [],
        "datasets": list(exports.DATASETS.values()),
        "nav": "transfer",
    }


@require(_may_either)
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """The page: upload a file to import, the files uploaded before, and the exports."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            feedback_import = feedback_import_upload(
                by=_user(request), filename=upload.name or "upload.csv", data=upload.read()
            )
        except DomainError as error:
            return domain_error_response(
                request,
                error,
                template="transfer/index.html",
                context=_index_context(request, form),
                form=form,
            )
        return redirect("transfer:import", feedback_import.pk)
    status = 400 if form.errors else 200
    return render(request, "transfer/index.html", _index_context(request, form), status=status)


def _import(request: HttpRequest, import_id: int) -> FeedbackImport:
    found = import_get(import_id=import_id, user=_user(request))
    if found is None:
        raise Http404("There is no such import of yours.")
    return found


def _preview(feedback_import: FeedbackImport) -> Preview | None:
    if feedback_import.status != ImportStatus.PREVIEWED:
        return None
    return import_preview(data=bytes(feedback_import.data))


@require(ensure_may_import_feedback)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """A file's preview before it is imported; its progress and outcome after."""
    feedback_import = _import(request, import_id)
    context = {
        "feedback_import": feedback_import,
        "preview": _preview(feedback_import),
        "nav": "transfer",
    }
    if getattr(request, "htmx", False) and request.GET.get("status"):
        return render(request, "transfer/partials/import_status.html", context)
    return render(request, "transfer/import_detail.html", context)


@require(ensure_may_import_feedback)
@require_POST
def import_start(request: HttpRequest, import_id: int) -> HttpResponse:
    """Import a previewed file: a worker files its rows, all of them or none."""
    feedback_import = _import(request, import_id)
    try:
        feedback_import_start(feedback_import=feedback_import, by=_user(request))
    except DomainError as error:
        return domain_error_response(
            request, error, redirect_to=reverse("transfer:import", args=[feedback_import.pk])
        )
    # The page says how it is going (and polls while the worker imports).
    return redirect("transfer:import", feedback_import.pk)


CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def export_response(by: User, dataset: str, file_format: str) -> StreamingHttpResponse:
    """The dataset streamed as a download (the page's link and the API answer the same)."""
    lines = export_stream(by=by, dataset=dataset, file_format=file_format)
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES[file_format])
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="feedbackloop-{dataset}-{day}.{file_format}"'
    )
    return response


@require(ensure_may_export)
@require_GET
def export_download(request: HttpRequest, dataset: str, file_format: str) -> HttpResponseBase:
    """Download a dataset as CSV or JSON."""
    return export_response(_user(request), dataset, file_format)
