"""Report subscriptions in the back office: analysts manage them; addresses are checked."""

from __future__ import annotations

import pytest

from circlemart.analytics.models import ReportSubscription

pytestmark = pytest.mark.django_db

ADD = "/admin/analytics/reportsubscription/add/"


def form(**fields: str) -> dict[str, str]:
    return {
        "dashboard": "traffic",
        "frequency": "weekly",
        "recipients": "boss@example.com\n\n  cmo@example.com ",
        "language": "zh-hans",
        "is_active": "on",
        **fields,
    }


def test_an_analyst_subscribes_to_a_weekly_report(analyst, analyst_client):
    response = analyst_client.post(ADD, form())
    assert response.status_code == 302
    subscription = ReportSubscription.objects.get()
    assert subscription.recipients == "boss@example.com\ncmo@example.com"
    assert subscription.created_by == analyst
    assert (subscription.dashboard, subscription.frequency) == ("traffic", "weekly")


def test_a_bad_address_or_dashboard_is_refused(analyst_client):
    response = analyst_client.post(ADD, form(recipients="boss@example.com\nnot-an-address"))
    assert response.status_code == 200
    assert "“not-an-address” is not an email address." in response.content.decode()
    response = analyst_client.post(ADD, form(dashboard="secrets"))
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not ReportSubscription.objects.exists()
