"""Each person's time zone is theirs for their own request only."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import UserFactory


@pytest.mark.django_db
def test_a_request_in_someone_s_zone_leaves_the_thread_in_the_site_s(client) -> None:
    user = UserFactory.create(time_zone="Asia/Tokyo")
    client.force_login(user)
    assert client.get("/").status_code == 200
    # Code that runs next on this thread (a test after a test client's call, the next
    # request) reads dates in the site's zone, not in the last visitor's.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
