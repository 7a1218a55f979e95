"""The analyses over HTTP: analysts and admins only, refusals name their field."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from circlemart.accounts import services as accounts_services
from circlemart.accounts.contracts import Role
from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.services import events_record
from circlemart.analytics.warehouse.export import events_export
from tests.accounts.factories import UserFactory
from tests.analytics.analyses.conftest import T0, event, minutes

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics"
DAY = T0.date().isoformat()


def signed_in(role: Role | None) -> Client:
    user = UserFactory()
    if role is not None:
        root = UserFactory(is_superuser=True, is_staff=True)
        root.groups.add(Group.objects.get(name=Role.ADMIN.value))
        accounts_services.role_grant(actor=root, user=user, role=role)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def analyst() -> Client:
    return signed_in(Role.ANALYST)


@pytest.fixture
def shop_day() -> None:
    records: list[EventRecord] = []
    for user in (1, 2, 3):
        session = f"s{user}"
        records.append(event("product_view", T0, user=user, session=session))
        if user < 3:
            records.append(event("add_to_cart", T0 + minutes(5), user=user, session=session))
        if user < 2:
            records.append(event("order_paid", T0 + minutes(9), user=user, amount=4200))
    events_record(records, historical=True)
    events_export()


def test_a_shopper_is_refused_and_a_stranger_must_sign_in(shop_day: None) -> None:
    query = {"start": DAY, "end": DAY, "event": "order_paid"}

    refused = signed_in(None).get(f"{URL}/trend", query)
    stranger = Client().get(f"{URL}/trend", query)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert stranger.status_code == 401


@pytest.mark.parametrize("role", [Role.ANALYST, Role.ADMIN])
def test_analysts_and_admins_read_a_funnel(shop_day: None, role: Role) -> None:
    response = signed_in(role).get(
        f"{URL}/funnel",
        {"steps": "product_view,add_to_cart,order_paid", "start": DAY, "end": DAY, "window": "1h"},
    )

    assert response.status_code == 200
    body = response.json()
    assert [(step["name"], step["people"], step["dropped"]) for step in body["steps"]] == [
        ("product_view", 3, 0),
        ("add_to_cart", 2, 1),
        ("order_paid", 1, 1),
    ]
    assert body["steps"][2]["median_seconds_from_previous"] == 240.0
    assert body["window_seconds"] == 3600


def test_trend_retention_paths_and_lifecycle_answer(shop_day: None, analyst: Client) -> None:
    trend = analyst.get(
        f"{URL}/trend", {"start": DAY, "end": DAY, "event": "order_paid", "measure": "amount"}
    ).json()
    retention = analyst.get(
        f"{URL}/retention",
        {"start": DAY, "end": DAY, "grain": "day", "cohort_events": "product_view"},
    ).json()
    paths = analyst.get(f"{URL}/paths", {"after": "product_view", "start": DAY, "end": DAY}).json()
    lifecycle = analyst.get(f"{URL}/lifecycle", {"start": DAY, "end": DAY, "grain": "day"}).json()

    assert (trend["total"], trend["points"][0]["value"]) == (4200.0, 4200.0)
    assert retention["cohorts"] == [{"cohort": DAY, "size": 3, "retained": [3], "rates": [1.0]}]
    assert paths["sequences"] == [
        {"events": ["add_to_cart"], "count": 2},
        {"events": [], "count": 1},
    ]
    assert lifecycle["periods"] == [
        {"period": DAY, "new": 3, "returned": 0, "active": 0, "silent": 0, "churned": 0}
    ]


@pytest.mark.parametrize(
    ("path", "query", "code", "field"),
    [
        ("trend", {"event": "teleport"}, "unknown_event", "event"),
        ("trend", {"metric": "happiness"}, "unknown_metric", "metric"),
        ("trend", {"event": "order_paid", "grain": "year"}, "invalid_choice", "grain"),
        ("trend", {"event": "order_paid", "start": "2026-03-05"}, "backwards_range", "start"),
        ("trend", {"event": "order_paid", "start": "2020-01-01"}, "range_too_long", "end"),
        ("funnel", {"steps": "product_view"}, "step_count", "steps"),
        ("funnel", {"steps": ",".join(["product_view"] * 11)}, "step_count", "steps"),
        ("funnel", {"steps": "product_view,teleport"}, "unknown_event", "steps[1]"),
        ("funnel", {"steps": "product_view,add_to_cart", "window": "0h"}, "bad_window", "window"),
        ("funnel", {"steps": "product_view,add_to_cart", "window": "soon"}, "bad_window", "window"),
        ("funnel", {"steps": "product_view,add_to_cart", "by": "mood"}, "unknown_dimension", "by"),
        ("retention", {"kind": "forever"}, "invalid_choice", "kind"),
        ("retention", {"activity_events": "order_paid,x"}, "unknown_event", "activity_events[1]"),
        ("paths", {"after": "teleport"}, "unknown_event", "after"),
        ("paths", {"after": "product_view", "steps": 6}, "step_count", "steps"),
        ("lifecycle", {"grain": "hour"}, "invalid_choice", "grain"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    analyst: Client, path: str, query: dict[str, Any], code: str, field: str
) -> None:
    response = analyst.get(f"{URL}/{path}", {"start": DAY, "end": DAY, **query})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_a_missing_date_is_a_400_naming_it(analyst: Client) -> None:
    response = analyst.get(f"{URL}/lifecycle", {"start": DAY})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "end"
