"""The floor of filing a ticket over the API: read the JSON body, insert one row, answer 201."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

TABLE = "bench_floor_post"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


@require_POST
def post(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (body) VALUES (%s) RETURNING id",
            [json.dumps(body)],
        )
        (pk,) = cursor.fetchone() or (None,)
    return JsonResponse({"id": pk}, status=201)


urlpatterns = [path("api/tickets/", post)]
