"""The funnel and retention pages draw E's analyses over the warehouse."""

from __future__ import annotations

import pytest

from circlemart.analytics.services import events_record
from circlemart.analytics.warehouse.export import events_export
from tests.analytics.analyses.conftest import at, event, minutes
from tests.analytics.dashboards.conftest import client_of

pytestmark = pytest.mark.django_db

FUNNEL = "/admin/analytics/dashboards/funnels/"
RETENTION = "/admin/analytics/dashboards/retention/"


def store(records) -> None:
    events_record(records, historical=True)
    events_export()


def test_the_funnel_page_counts_people_step_by_step(analyst_client):
    start = at("2026-03-02 10:00")
    store(
        [
            event("product_view", start, user=1),
            event("add_to_cart", start + minutes(2), user=1),
            event("order_paid", start + minutes(9), user=1),
            event("product_view", start, user=2),
            event("add_to_cart", start + minutes(5), user=2),
            event("product_view", start, user=3),
        ]
    )
    query = "start=2026-03-01&end=2026-03-07&steps=product_view,add_to_cart,order_paid&window=3600"
    response = analyst_client.get(f"{FUNNEL}?{query}")
    assert response.status_code == 200
    [steps] = [table for table in response.context["content"].tables if table.id == "steps"]
    assert [row[:5] for row in steps.values] == [
        ["product_view", 3, 1.0, 1.0, 0],
        ["add_to_cart", 2, round(2 / 3, 6), round(2 / 3, 6), 1],
        ["order_paid", 1, 0.5, round(1 / 3, 6), 1],
    ]
    figure = response.context["figures"]["funnel"]
    assert figure["data"][0]["type"] == "funnel"
    assert list(figure["data"][0]["x"]) == [3, 2, 1]
    csv_text = analyst_client.get(f"{FUNNEL}?{query}&format=csv&part=funnel").content.decode()
    assert csv_text == (
        "\ufeffpart,series,x,value\r\n"
        "funnel,people,product_view,3\r\n"
        "funnel,people,add_to_cart,2\r\n"
        "funnel,people,order_paid,1\r\n"
    )


def test_unknown_funnel_steps_are_refused(analyst_client):
    response = analyst_client.get(f"{FUNNEL}?steps=product_view,teleport")
    assert response.status_code == 400
    assert "Unknown events: teleport." in response.content.decode()
    response = analyst_client.get(f"{FUNNEL}?steps=product_view")
    assert response.status_code == 400
    assert "A funnel has 2 to 6 steps." in response.content.decode()


def test_the_retention_page_draws_a_cohort_heatmap(analyst_client):
    store(
        [
            event("user_registered", at("2026-03-02 09:00"), user=1),
            event("user_registered", at("2026-03-02 11:00"), user=2),
            event("page_view", at("2026-03-03 10:00"), user=1, anon="a1", session="s1"),
            event("user_registered", at("2026-03-03 09:00"), user=3),
        ]
    )
    response = analyst_client.get(f"{RETENTION}?start=2026-03-02&end=2026-03-04&grain=day")
    assert response.status_code == 200
    [cohorts] = response.context["content"].tables
    # Period 0 counts activity after sign-up on the same day (none here), period 1 user 1.
    assert cohorts.values[0][:4] == ["2026-03-02", 2, 0.0, 0.5]
    assert cohorts.values[1][:3] == ["2026-03-03", 1, 0.0]
    figure = response.context["figures"]["retention"]
    assert figure["data"][0]["type"] == "heatmap"


def test_analyses_pages_are_bilingual(analyst, known_metrics):
    for language in ("zh-hans", "en"):
        for page in (FUNNEL, RETENTION):
            assert client_of(analyst, language).get(page).status_code == 200
