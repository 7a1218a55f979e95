"""Celery entry point of the scheduled dashboard reports (daily in celery beat)."""

from __future__ import annotations

from celery import shared_task

from circlemart.analytics.dashboards.reports import reports_send_due


@shared_task(name="analytics.send_reports", ignore_result=True, soft_time_limit=240, time_limit=280)
def send_reports() -> int:
    return reports_send_due()
