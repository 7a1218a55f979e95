"""The realtime tests' limited flush must leave the next test a usable database."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from tests.live.realtime.harness import REALTIME_APPS

pytestmark = pytest.mark.django_db(transaction=True, available_apps=REALTIME_APPS)


def test_the_flush_after_a_realtime_test_keeps_permissions_for_the_next_test() -> None:
    # What Django runs after each of these tests: the listed apps' tables only, no post_migrate.
    call_command(
        "flush",
        verbosity=0,
        interactive=False,
        reset_sequences=False,
        allow_cascade=True,
        inhibit_post_migrate=True,
    )

    assert Permission.objects.filter(
        content_type__app_label="orders", codename="change_order"
    ).exists()
