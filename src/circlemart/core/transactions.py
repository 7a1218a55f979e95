"""Transaction helpers shared by the kernel."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


def commit_without_waiting_for_disk() -> None:
    """PostgreSQL: the current transaction's commit does not wait for its WAL flush
    (asynchronous commit; PostgreSQL flushes it within a fraction of a second). Only for writes
    whose loss in a database crash is harmless. Inside `transaction.atomic()` only: outside one
    the setting would not last until the commit. Any later durable commit makes every earlier
    asynchronous one durable too (the WAL is one sequence)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@contextmanager
def atomic_without_waiting_for_disk() -> Iterator[None]:
    """`transaction.atomic()` whose commit does not wait for the disk when it is a transaction
    of its own; inside a caller's transaction it is a savepoint, and the caller's commit keeps
    waiting (it may hold writes that must not be lost)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            commit_without_waiting_for_disk()
        yield
