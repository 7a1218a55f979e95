"""Asynchronous commit for writes whose loss in a database crash is harmless."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from circlemart.core.transactions import atomic_without_waiting_for_disk


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_of_its_own_commits_without_waiting_for_the_disk():
    with atomic_without_waiting_for_disk():
        inside = synchronous_commit()
    assert inside == "off"
    assert synchronous_commit() == "on"  # SET LOCAL: that transaction only


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_callers_commit_still_waits():
    with transaction.atomic():
        with atomic_without_waiting_for_disk():
            inside = synchronous_commit()
        after = synchronous_commit()
    assert (inside, after) == ("on", "on")


@pytest.mark.django_db(transaction=True)
def test_it_is_a_transaction_that_rolls_back_on_error():
    from circlemart.core.models import CacheGeneration

    def write_then_fail() -> None:
        with atomic_without_waiting_for_disk():
            CacheGeneration.objects.create(name="test:rolled-back", value=1)
            raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not CacheGeneration.objects.filter(name="test:rolled-back").exists()
