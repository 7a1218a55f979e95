"""Scheduled email reports: each active ReportSubscription gets its dashboard's key numbers
and tables (HTML) with the whole dashboard as a CSV attachment, in its language, at most once
a day (daily) or once in seven days (weekly)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from circlemart.analytics.dashboards import content as page_content
from circlemart.analytics.dashboards.csv_export import csv_filename, csv_text
from circlemart.analytics.dashboards.forms import FUNNEL_DEFAULT_STEPS, today
from circlemart.analytics.dashboards.pages import DASHBOARDS
from circlemart.analytics.dashboards.selectors import Period
from circlemart.analytics.models import ReportSubscription

logger = logging.getLogger(__name__)
MAX_SUBSCRIPTIONS_PER_RUN = 500
WEEK = 7


def recipients_of(subscription: ReportSubscription) -> list[str]:
    return [line.strip() for line in subscription.recipients.splitlines() if line.strip()]


def report_period(subscription: ReportSubscription, *, on: date) -> Period:
    """The whole days before `on`: yesterday, or the seven days before."""
    days = WEEK if subscription.frequency == ReportSubscription.Frequency.WEEKLY else 1
    return Period(on - timedelta(days=days), on - timedelta(days=1))


def report_content(subscription: ReportSubscription, *, on: date) -> page_content.PageContent:
    dashboard = DASHBOARDS.get(subscription.dashboard) or DASHBOARDS["overview"]
    period = report_period(subscription, on=on)
    if dashboard.kind == "funnel":
        return page_content.funnel_page(
            dashboard=dashboard,
            period=period,
            steps=list(FUNNEL_DEFAULT_STEPS),
            window_seconds=86400,
            dimension="",
        )
    if dashboard.kind == "retention":
        return page_content.retention_page(
            dashboard=dashboard, period=period, grain="day", kind="first_time"
        )
    return page_content.metrics_page(dashboard=dashboard, period=period, dimension="")


def report_message(subscription: ReportSubscription, *, on: date) -> EmailMultiAlternatives:
    """The email, rendered in the subscription's language."""
    with translation.override(subscription.language or settings.LANGUAGE_CODE):
        content = report_content(subscription, on=on)
        context = {
            "content": content,
            "dashboard": content.dashboard,
            "link": f"{settings.SITE_URL}/admin/analytics/dashboards/{content.dashboard.name}/",
        }
        subject = _("Circlemart %(dashboard)s report, %(start)s – %(end)s") % {
            "dashboard": content.dashboard.title,
            "start": content.period.start.isoformat(),
            "end": content.period.end.isoformat(),
        }
        text = render_to_string("analytics/dashboards/email.txt", context)
        html = render_to_string("analytics/dashboards/email.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients_of(subscription),
        )
        message.attach_alternative(html, "text/html")
        message.attach(csv_filename(content), csv_text(content).encode("utf-8"), "text/csv")
    return message


def _due(on: date) -> Q:
    daily = Q(frequency=ReportSubscription.Frequency.DAILY) & (
        Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=on)
    )
    weekly = Q(frequency=ReportSubscription.Frequency.WEEKLY) & (
        Q(last_sent_on__isnull=True) | Q(last_sent_on__lte=on - timedelta(days=WEEK))
    )
    return Q(is_active=True) & (daily | weekly)


def reports_send_due(*, on: date | None = None) -> int:
    """Send every due report once; returns how many were sent. A report is claimed (its
    last_sent_on set by a conditional UPDATE) before it is sent, so two runs at once never
    send it twice; a failed send gives the claim back so the next run retries."""
    day = on or today()
    sent = 0
    due = ReportSubscription.objects.filter(_due(day)).order_by("pk")
    for subscription in due[:MAX_SUBSCRIPTIONS_PER_RUN]:
        previous = subscription.last_sent_on
        claimed = ReportSubscription.objects.filter(_due(day), pk=subscription.pk).update(
            last_sent_on=day
        )
        if not claimed or not recipients_of(subscription):
            continue
        try:
            report_message(subscription, on=day).send()
        except Exception:
            ReportSubscription.objects.filter(pk=subscription.pk, last_sent_on=day).update(
                last_sent_on=previous
            )
            logger.exception("report %s could not be sent", subscription.pk)
            raise
        sent += 1
    return sent
