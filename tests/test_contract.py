"""The API keeps the contract its OpenAPI schema (/api/schema/) writes down, checked by
schemathesis with every check it has.

Each operation is called through the WSGI app with generated input as a product manager with a
token: input the schema calls valid (it must be accepted: no 400), input it calls invalid (it must
be refused), and calls naming objects that exist (so they get past the 404). Every answer must be
one the operation documents, with the documented content type, headers and body; no 5xx; the
token must matter (the same call without it is refused), and a method the path does not have is
answered 405 with an Allow header. Derandomized: the same calls on every run and machine.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User

# Per operation. With 23 operations this keeps the run near a minute on a
# loaded 2-core machine; CONTRACT_EXAMPLES=n runs deeper.
EXAMPLES_PER_OPERATION = 50


def _start_tomorrow(case: Any) -> None:
    """A session must start in the future, which a schema cannot say (it has no "now"): a
    generated valid start time is moved to this time tomorrow, still valid by the schema."""
    if case.meta.generation.mode.is_positive and "starts_at" in case.body:
        case.body["starts_at"] = (timezone.now() + datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def connection_kept() -> Iterator[None]:
    """Each call runs in a transaction rolled back after it; Django closes the connection at the
    end of each request, which schemathesis's WSGI calls do not stop as Django's test client
    does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fresh_throttles() -> Iterator[None]:
    """The token view's throttle counts in the cache, which no test transaction undoes."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_throttles", "connection_kept")
def test_the_api_keeps_its_schema_under_every_schemathesis_check(
    pm: User, submitter: User, facilitator: User
) -> None:
    import os

    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.core.result import Ok

    from intake.tests.factories import TicketFactory
    from people.tests.factories import api_key_for
    from sessions.tests.factories import SessionFactory
    from transfer.exports import DATASETS
    from triage.tests.factories import InitiativeFactory
    from webhooks.models import WebhookEndpoint

    examples = int(os.environ.get("CONTRACT_EXAMPLES", EXAMPLES_PER_OPERATION))
    auth = {"Authorization": f"Token {api_key_for(pm)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), headers=auth)
    real_ids: dict[str, list[Any]] = {
        "ticket_id": [TicketFactory.create(submitted_by=submitter).pk for _ in "ab"],
        "initiative_id": [InitiativeFactory.create().pk for _ in "ab"],
        "session_id": [SessionFactory.create(facilitator=facilitator).pk for _ in "ab"],
        "dataset": list(DATASETS),
        # Admins' only (a product manager gets 403): webhooks/tests/test_schema.py calls them
        # as an admin, with every check too.
        "endpoint_id": [
            WebhookEndpoint.objects.create(url=f"https://t.example.com/{n}", events=["*"]).pk
            for n in "ab"
        ],
    }
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) == 23, [operation.label for operation in operations]
    failures: dict[str, str] = {}
    for operation in operations:
        strategies = [
            operation.as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        names = [parameter.name for parameter in operation.path_parameters]
        if names:
            strategies += [
                operation.as_strategy(path_parameters=dict(zip(names, ids, strict=True)))
                for ids in itertools.product(*(real_ids[name] for name in names))
            ]

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def call(case: Any) -> None:
            cache.clear()  # the token view's throttle
            if case.operation.label == "POST /api/sessions/" and isinstance(case.body, dict):
                _start_tomorrow(case)
            # Each call meets the same world (open initiatives, waiting tickets), so what a
            # call may do does not depend on the calls generated before it.
            with transaction.atomic():
                response = case.call(headers=auth)
                # No `checks=`: every check schemathesis has, as its CLI runs them.
                case.validate_response(response, headers=auth)
                transaction.set_rollback(True)

        try:
            call()
        except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup
            failures[operation.label] = str(exc)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
