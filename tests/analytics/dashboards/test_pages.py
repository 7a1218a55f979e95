"""The dashboard pages: who may open them, what they show for a known set of daily metrics,
bad controls, CSV export and a query budget that does not grow with the range."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circlemart.accounts.contracts import Role
from circlemart.analytics.models import ChannelSpend
from tests.accounts.factories import UserFactory
from tests.analytics.dashboards.conftest import client_of, put, staff

pytestmark = pytest.mark.django_db

PAGES = ("overview", "users", "products", "orders", "traffic", "funnels", "retention")
RANGE = "start=2026-03-05&end=2026-03-07"


def url(name: str, query: str = RANGE) -> str:
    return f"/admin/analytics/dashboards/{name}/?{query}"


@pytest.mark.parametrize("name", PAGES)
def test_every_page_opens_for_an_analyst(analyst_client, known_metrics, name):
    response = analyst_client.get(url(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="analytics-dashboard"' in html
    assert "/static/analytics/vendor/plotly.min.js" in html
    assert 'id="dashboard-figures"' in html


@pytest.mark.parametrize("name", ["overview", "funnels"])
def test_anonymous_and_shoppers_are_sent_to_the_login(name):
    for user in (None, UserFactory()):
        response = client_of(user).get(url(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.MERCHANT_STAFF])
def test_staff_without_the_metrics_permission_are_refused(role):
    response = client_of(staff(role)).get(url("overview"))
    assert response.status_code == 403
    assert client_of(staff(role)).get(url("overview", RANGE + "&format=csv")).status_code == 403


def test_an_unknown_dashboard_is_not_found(analyst_client):
    assert analyst_client.get(url("revenue")).status_code == 404


def test_key_numbers_compare_with_the_previous_period(analyst_client, known_metrics):
    response = analyst_client.get(url("overview"))
    cards = {card.key: card for card in response.context["content"].cards}
    # 2026-03-05..07 against 2026-03-02..04: GMV ¥1,500 vs ¥600 (+150%); DAU is a mean.
    assert (cards["gmv"].value, cards["gmv"].previous, cards["gmv"].change_text) == (
        "CN¥1,500.00",
        "CN¥600.00",
        "+150.0%",
    )
    assert (cards["dau"].value, cards["dau"].previous) == ("14", "11")
    # Conversion is recomputed from its parts (27 / 300), not averaged from daily ratios.
    assert (cards["conversion_rate"].value, cards["conversion_rate"].previous) == ("9.0%", "6.0%")
    assert cards["amount_paid"].value == "—"
    html = response.content.decode()
    # Each metric's written definition is on the page (tooltip and text).
    assert "Distinct signed-in users with at least one event that day" in html


def test_a_backwards_range_is_refused_with_a_message(analyst_client, known_metrics):
    response = analyst_client.get(url("overview", "start=2026-03-07&end=2026-03-05"))
    assert response.status_code == 400
    assert response.context["content"] is None
    message = "The end date 2026-03-05 is before the start date 2026-03-07."
    assert message in response.content.decode()
    csv_response = analyst_client.get(url("overview", "start=2026-03-07&end=2026-03-05&format=csv"))
    assert csv_response.status_code == 400
    assert csv_response.content.decode() == message


def test_a_range_longer_than_the_limit_is_refused(analyst_client, settings):
    settings.ANALYTICS_DASHBOARD_MAX_DAYS = 30
    response = analyst_client.get(url("traffic", "start=2026-01-01&end=2026-01-31"))
    assert response.status_code == 400
    assert "A date range may cover at most 30 days; this one covers 31." in (
        response.content.decode()
    )


def test_an_unknown_dimension_is_refused(analyst_client):
    response = analyst_client.get(url("products", RANGE + "&dimension=channel"))
    assert response.status_code == 400
    assert "Select a valid choice. channel is not one of the available choices." in (
        response.content.decode()
    )


def test_presets_end_today(analyst_client, known_metrics):
    from django.utils import timezone

    response = analyst_client.get(url("overview", "preset=7"))
    period = response.context["content"].period
    assert period.end == timezone.localdate()
    assert period.days == 7


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_of_one_chart_is_exact(analyst_client, known_metrics):
    response = analyst_client.get(url("overview", RANGE + "&format=csv&part=gmv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="circlemart-overview-gmv-2026-03-05-2026-03-07.csv"'
    )
    assert read_csv(response) == [
        ["part", "series", "x", "value"],
        ["gmv", "this period", "2026-03-05", "400"],
        ["gmv", "this period", "2026-03-06", "500"],
        ["gmv", "this period", "2026-03-07", "600"],
        ["gmv", "previous period", "2026-03-02", "100"],
        ["gmv", "previous period", "2026-03-03", "200"],
        ["gmv", "previous period", "2026-03-04", "300"],
    ]


def test_csv_of_a_drill_down_by_channel(analyst_client, known_metrics):
    ChannelSpend.objects.create(day=date(2026, 3, 6), channel="search", amount=12345)
    response = analyst_client.get(
        url("traffic", RANGE + "&dimension=channel&format=csv&part=by_channel")
    )
    rows = read_csv(response)
    assert rows[0] == ["part", "series", "x", "value"]
    by_cell = {(row[1], row[2]): row[3] for row in rows[1:]}
    assert by_cell[("search engine", "Sessions (source mix)")] == "180"
    assert by_cell[("direct", "Sessions (source mix)")] == "120"
    # direct converts (5 + 6 + 7) / 120, search 9 / 180
    assert by_cell[("direct", "Conversion rate")] == "0.15"
    assert by_cell[("search engine", "Conversion rate")] == "0.05"
    assert by_cell[("search engine", "Spend")] == "123.45"
    assert by_cell[("direct", "Spend")] == "0"


def test_drill_down_draws_one_line_per_channel(analyst_client, known_metrics):
    response = analyst_client.get(url("overview", RANGE + "&dimension=channel"))
    charts = {chart.id: chart for chart in response.context["content"].charts}
    # Largest first: direct converts more of its visits than search.
    names = [series.name for series in charts["conversion_rate"].series]
    assert names == ["direct", "search engine"]
    figure = response.context["figures"]["conversion_rate"]
    assert [trace["name"] for trace in figure["data"]] == ["direct", "search engine"]
    assert figure["data"][0]["y"] == [0.125, 0.15, 0.175]
    assert figure["data"][1]["y"] == [0.05, 0.05, 0.05]


def test_the_whole_page_as_csv_holds_every_table_and_series(analyst_client, known_metrics):
    response = analyst_client.get(url("overview", RANGE + "&format=csv"))
    rows = read_csv(response)
    assert ["summary", "GMV (gross)", "2026-03-05 – 2026-03-07", "1500"] in rows
    assert ["summary", "GMV (gross)", "Change", "1.5"] in rows
    assert ["dau", "previous period", "2026-03-04", "12"] in rows
    assert len({row[0] for row in rows[1:]}) == 9  # summary + the 8 key numbers


def test_an_unknown_csv_part_is_refused(analyst_client, known_metrics):
    response = analyst_client.get(url("overview", RANGE + "&format=csv&part=secret"))
    assert response.status_code == 400


def test_chinese_and_english_both_render(analyst, known_metrics):
    for language in ("zh-hans", "en"):
        response = client_of(analyst, language).get(url("overview"))
        assert response.status_code == 200
        assert f'lang="{language}"' in response.content.decode()


def a_year_of_metrics() -> None:
    start = date(2025, 3, 8)
    for offset in range(365):
        day = start + timedelta(days=offset)
        for metric in ("gmv", "orders_placed", "dau", "sessions", "converted_sessions"):
            put(day, metric, offset)
        for channel in ("search", "direct", "social"):
            put(day, "sessions", offset, "channel", channel)
            put(day, "converted_sessions", 1, "channel", channel)


def queries_of(client, name: str, query: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url(name, query)).status_code == 200
    return [entry["sql"] for entry in captured.captured_queries]


@pytest.mark.parametrize("name", ["overview", "traffic", "orders", "products"])
def test_queries_are_few_and_do_not_grow_with_the_range(analyst_client, name):
    a_year_of_metrics()
    dimension = "&dimension=category" if name == "products" else "&dimension=channel"
    week = queries_of(analyst_client, name, "start=2026-03-01&end=2026-03-07" + dimension)
    year = queries_of(analyst_client, name, "start=2025-03-08&end=2026-03-07" + dimension)
    assert len(week) == len(year)
    # The daily table is read at most three times (overall, top values, their rows), plus
    # channel spend or the product/category names; the rest is the back office's own
    # (session, user, permissions, the sidebar's app list).
    assert len([sql for sql in year if "analytics_" in sql]) <= 4
    assert len(year) <= 25


def test_plotly_js_is_served_from_the_wheel():
    found = finders.find("analytics/vendor/plotly.min.js")
    assert found is not None
    with open(found, encoding="utf-8") as script:
        assert "plotly.js v" in script.read(200)


def test_the_sidebar_lists_the_dashboards_for_analysts_only(analyst_client):
    html = analyst_client.get("/admin/").content.decode()
    assert 'href="/admin/analytics/dashboards/overview/"' in html
    assert 'href="/admin/analytics/dashboards/retention/"' in html
    moderator_html = client_of(staff(Role.MODERATOR)).get("/admin/").content.decode()
    assert "/admin/analytics/dashboards/" not in moderator_html
    # The applications a moderator may use are still there.
    assert "/admin/moderation/" in moderator_html


def test_the_products_page_ranks_products_by_gmv(analyst, known_metrics):
    from tests.catalog import factories

    mug = factories.product(title="保温杯", title_en="Travel mug")
    tea = factories.product(title="=HYPERLINK(1)", title_en="=HYPERLINK(1)")
    for day in (date(2026, 3, 5), date(2026, 3, 6)):
        put(day, "gmv", 5000, "product", str(mug.pk))
        put(day, "gmv", 9000, "product", str(tea.pk))
    put(date(2026, 3, 5), "gmv", 100, "product", "999999")  # a product since deleted
    put(date(2026, 3, 1), "gmv", 1_000_000, "product", str(mug.pk))  # before the range

    response = client_of(analyst, "zh-hans").get(url("products"))
    [top] = [table for table in response.context["content"].tables if table.id == "top_products"]
    assert top.rows == [
        ["1", "=HYPERLINK(1)", "¥180.00"],
        ["2", "保温杯", "¥100.00"],
        ["3", "#999999", "¥1.00"],
    ]
    english = client_of(analyst).get(url("products", RANGE + "&format=csv&part=top_products"))
    assert read_csv(english)[1:] == [
        ["top_products", "1", "Product", "'=HYPERLINK(1)"],
        ["top_products", "1", "GMV", "180"],
        ["top_products", "2", "Product", "Travel mug"],
        ["top_products", "2", "GMV", "100"],
        ["top_products", "3", "Product", "#999999"],
        ["top_products", "3", "GMV", "1"],
    ]
