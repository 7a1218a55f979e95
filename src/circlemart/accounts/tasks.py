"""Celery entry points of accounts: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from circlemart.accounts import services


@shared_task(
    name="accounts.send_password_reset_email",
    ignore_result=True,
    soft_time_limit=30,
    time_limit=60,
    autoretry_for=(OperationalError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
)
def send_password_reset_email(email: str, language: str) -> None:
    # The lookup happens here, not in the request: the request answers alike, and as fast,
    # for an email that has an account and one that has none.
    services.password_reset_email_send(email=email, language=language)
