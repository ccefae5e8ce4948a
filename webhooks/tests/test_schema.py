"""The webhook calls against their own OpenAPI schema, as an admin (the suite's run in
tests/test_security.py calls them as a product manager, who only gets 403): schemathesis
generates valid and invalid calls, every check runs, none fails."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from tests.webhooks import SECRET

EXAMPLES_PER_OPERATION = 40


@pytest.mark.django_db(transaction=True)
def test_the_webhook_calls_answer_as_their_schema_says(admin_user: User, settings: Any) -> None:
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.core.result import Ok

    from people.tests.factories import api_key_for
    from webhooks.services import endpoint_create

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    auth = {"Authorization": f"Token {api_key_for(admin_user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), headers=auth)
    ids = [
        endpoint_create(
            by=admin_user, url=f"https://t.example.com/{n}", secret=SECRET, events=["*"]
        ).pk
        for n in range(60)
    ]
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok) and result.ok().path.startswith("/api/webhooks/")
    ]
    assert len(operations) == 5
    for operation in operations:
        strategies = [
            operation.as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        if operation.path_parameters:
            strategies += [
                operation.as_strategy(path_parameters={"endpoint_id": pk}) for pk in ids[:2]
            ]

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def call(case: Any) -> None:
            # The API's throttles count in the cache, which other tests share (it may be
            # Redis): a valid call answered 429 would fail the check that it is accepted.
            cache.clear()
            response = case.call(headers=auth)
            case.validate_response(response, headers=auth)  # every check

        call()
