"""Scheduled dashboard reports: one email per due subscription, in its language, with the
dashboard as CSV; never twice the same day."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command

from circlemart.analytics.dashboards.reports import reports_send_due
from circlemart.analytics.models import ReportSubscription
from tests.analytics.dashboards.conftest import put

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 8)


def subscription(**fields) -> ReportSubscription:
    values = {
        "dashboard": "overview",
        "frequency": ReportSubscription.Frequency.DAILY,
        "recipients": "boss@example.com\nanalyst@example.com\n",
        "language": "en",
    }
    return ReportSubscription.objects.create(**{**values, **fields})


def run_job(day: date) -> str:
    out = io.StringIO()
    call_command("analytics", "send-reports", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def test_each_due_subscription_gets_one_email_and_none_on_a_second_run(known_metrics):
    daily = subscription()
    weekly = subscription(
        dashboard="traffic",
        frequency=ReportSubscription.Frequency.WEEKLY,
        recipients="cmo@example.com",
        language="zh-hans",
    )
    subscription(is_active=False)
    subscription(frequency=ReportSubscription.Frequency.WEEKLY, last_sent_on=date(2026, 3, 3))

    assert run_job(TODAY) == "2 report(s) sent\n"
    assert len(mail.outbox) == 2
    first, second = mail.outbox
    assert first.to == ["boss@example.com", "analyst@example.com"]
    assert first.subject == "Circlemart Overview report, 2026-03-07 – 2026-03-07"
    assert "GMV (gross): CN¥600.00 (previous: CN¥500.00, +20.0%)" in first.body
    html, mime = first.alternatives[0]
    assert mime == "text/html"
    assert "CN¥600.00" in html
    [(filename, attachment, content_type)] = first.attachments
    assert filename == "circlemart-overview-2026-03-07-2026-03-07.csv"
    assert content_type == "text/csv"
    assert attachment.startswith("\ufeffpart,series,x,value\r\n")
    assert "gmv,this period,2026-03-07,600\r\n" in attachment
    # The weekly traffic report covers the seven days before, in Chinese.
    assert second.to == ["cmo@example.com"]
    assert "2026-03-01 – 2026-03-07" in second.subject
    assert second.attachments[0][0] == "circlemart-traffic-2026-03-01-2026-03-07.csv"

    daily.refresh_from_db()
    weekly.refresh_from_db()
    assert daily.last_sent_on == weekly.last_sent_on == TODAY

    assert run_job(TODAY) == "0 report(s) sent\n"
    assert len(mail.outbox) == 2
    # The next day only the daily one is due again.
    assert reports_send_due(on=date(2026, 3, 9)) == 1
    assert len(mail.outbox) == 3


def test_a_failed_send_gives_the_claim_back(known_metrics, monkeypatch):
    daily = subscription(last_sent_on=date(2026, 3, 1))

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        reports_send_due(on=TODAY)
    daily.refresh_from_db()
    assert daily.last_sent_on == date(2026, 3, 1)


def test_the_report_is_written_in_the_subscription_language(known_metrics):
    put(date(2026, 3, 7), "new_users", 3)
    subscription(language="zh-hans")
    reports_send_due(on=TODAY)
    [message] = mail.outbox
    # Numbers are formatted the Chinese way (¥, not CN¥).
    assert "¥600.00" in message.body
    assert "CN¥" not in message.body


def test_the_daily_beat_task_sends_due_reports(known_metrics, monkeypatch):
    from circlemart.analytics.dashboards import tasks
    from circlemart.config import celery_settings

    schedule = celery_settings.beat_schedule["analytics-send-reports"]
    assert schedule["task"] == tasks.send_reports.name == "analytics.send_reports"
    monkeypatch.setattr("circlemart.analytics.dashboards.reports.today", lambda: TODAY)
    subscription()
    assert tasks.send_reports() == 1
    assert tasks.send_reports() == 0
    assert len(mail.outbox) == 1
