import pytest
from tests.helpers import api_as
from intake.tests.test_api import _body, TICKETS

@pytest.mark.django_db
def test_probe(submitter):
    r = api_as(submitter).post(TICKETS, _body(description="x" * (10 * 1024 * 1024)), format="json")
    print(r.status_code, r["Content-Type"], r.content[:300])
