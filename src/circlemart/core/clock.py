"""One place to ask for the time, so tests and jobs agree on what "now" is."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
