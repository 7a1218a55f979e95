"""soak.record: append the task's number to the record file, one line per run."""

from __future__ import annotations

import os

from celery import shared_task
from django.conf import settings


@shared_task(name="soak.record", ignore_result=True, soft_time_limit=10, time_limit=15)
def record(number: int) -> None:
    # One write(2) of a short line to an O_APPEND file: whole lines, even from several processes.
    descriptor = os.open(settings.SOAK_RECORD_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, f"{number}\n".encode())
    finally:
        os.close(descriptor)
