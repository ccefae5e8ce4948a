"""The export call of the API: GET /api/exports/{dataset}/?format=csv|json, streamed."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.api import request_user
from core.api import permission_from
from transfer import exports
from transfer.policies import ensure_may_export
from transfer.views import export_response


class CSVRenderer(renderers.BaseRenderer):
    """Names text/csv for negotiation; the view streams the body itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: Any = None, context: Any = None) -> bytes:
        return b""


ROWS = {
    "oneOf": [exports.row_schema(dataset) for dataset in exports.DATASETS.values()],
    "description": "One object per row; its columns depend on the dataset",
}


class Export(APIView):
    """Everything FeedbackLoop holds, one table at a time, as CSV or JSON."""

    permission_classes = [IsAuthenticated, permission_from(ensure_may_export)]
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        summary="Export a table (tickets, customers, initiatives, decisions) as JSON or CSV, "
        "streamed; product managers and admins",
        parameters=[
            OpenApiParameter("dataset", str, OpenApiParameter.PATH, enum=list(exports.DATASETS)),
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.QUERY,
                enum=list(exports.FORMATS),
                description="json (the default) or csv; an Accept header works too. In CSV, "
                "text that would start a spreadsheet formula begins with a quote.",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": ROWS}, description="The rows, in id order"
            ),
            (200, "text/csv"): OpenApiResponse(
                {"type": "string"}, description="A header line, then one line a row"
            ),
        },
    )
    def get(self, request: Request, dataset: str) -> HttpResponseBase:
        file_format = request.accepted_renderer.format or "json"
        return export_response(request_user(request), dataset, file_format)


urlpatterns: list[URLPattern] = [
    path("exports/<str:dataset>/", Export.as_view(), name="api-export"),
]
