"""The statistics selector's arithmetic on hand-made impressions, clicks and orders (exact
numbers), and the page that draws it."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.core.errors import ValidationFailed
from circlemart.orders.models import Order
from circlemart.recommend.models import (
    Impression,
    ModelVersion,
    RecommendationClick,
    ServingSlot,
)
from circlemart.recommend.selectors.stats import Funnel, recommendation_stats
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.orders.conftest import make_buyer, place

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 10)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=SHANGHAI)


def show(*, surface: str, version: int | None, day: int, count: int, hour: int = 10) -> uuid.UUID:
    list_id = uuid.uuid4()
    Impression.objects.bulk_create(
        Impression(
            list_id=list_id,
            surface=surface,
            model_version_id=version,
            position=position,
            object_id=1000 + position,
            is_personalised=version is not None,
            served_at=at(day, hour),
        )
        for position in range(count)
    )
    return list_id


def click(
    list_id: uuid.UUID,
    *,
    position: int,
    product_id: int,
    user_id: int | None,
    when: datetime,
    object_type: str = "product",
) -> None:
    shown = Impression.objects.filter(list_id=list_id).first()
    RecommendationClick.objects.create(
        list_id=list_id,
        surface=shown.surface if shown else "for_you",
        model_version_id=shown.model_version_id if shown else None,
        position=position,
        object_type=object_type,
        object_id=product_id,
        user_id=user_id,
        clicked_at=when,
    )


def buy(buyer: Any, address_id: int, product: Any, *, paid_at: datetime | None) -> None:
    order = place(buyer, address_id, product.skus.get().pk)
    if paid_at is not None:
        Order.objects.filter(pk=order.pk).update(status="paid", paid_at=paid_at)


@pytest.fixture
def shop() -> dict[str, Any]:
    """Two lists of model v1 on for-you, one fallback list on similar, clicks and orders:

    - u1 clicks p1 (03-09) and pays for it 3 days later: a conversion;
    - u1 clicks p2 (03-09) and pays 8 days later: too late;
    - u2 clicks p1 (03-10) but paid for it the day before: not caused by the click;
    - an anonymous visitor clicks p3 (03-10): cannot convert;
    - u3 clicks p3 (03-10) and orders it without paying: no conversion;
    - outside the period: impressions and a click on 03-03.
    """
    version = ModelVersion.objects.create(
        label="v1", status=ModelVersion.Status.READY, metrics={"ndcg@10": 0.25}
    )
    ServingSlot.objects.create(name="default", version=version)
    p1, p2, p3 = (catalog_factories.product(stock=(20,)) for _ in range(3))
    (u1, a1), (u2, a2), (u3, a3) = make_buyer(), make_buyer(), make_buyer()

    l1 = show(surface="for_you", version=version.pk, day=9, count=10)
    l2 = show(surface="for_you", version=version.pk, day=10, count=5)
    l3 = show(surface="similar", version=None, day=10, count=4)
    old = show(surface="for_you", version=version.pk, day=3, count=3)

    click(l1, position=0, product_id=p1.pk, user_id=u1.pk, when=at(9, 11))
    click(l1, position=1, product_id=p2.pk, user_id=u1.pk, when=at(9, 11))
    click(l2, position=0, product_id=p1.pk, user_id=u2.pk, when=at(10, 9))
    click(l3, position=0, product_id=p3.pk, user_id=None, when=at(10, 12))
    click(l3, position=1, product_id=p3.pk, user_id=u3.pk, when=at(10, 12))
    click(old, position=0, product_id=p1.pk, user_id=u1.pk, when=at(3, 12))

    buy(u1, a1, p1, paid_at=at(12, 11))
    buy(u1, a1, p2, paid_at=at(17, 12))
    buy(u2, a2, p1, paid_at=at(9, 20))
    buy(u3, a3, p3, paid_at=None)
    return {"version": version}


def test_totals_per_surface_per_model_and_per_day(shop: dict[str, Any]) -> None:
    version = shop["version"]

    stats = recommendation_stats(days=7, today=TODAY)

    assert stats.first_day == date(2026, 3, 4)
    assert stats.total == Funnel(impressions=19, clicks=5, conversions=1)
    assert stats.total.ctr == pytest.approx(5 / 19)
    assert stats.total.conversion_rate == pytest.approx(1 / 5)
    surfaces = {row.surface: row.total for row in stats.surfaces}
    assert surfaces["for_you"] == Funnel(impressions=15, clicks=3, conversions=1)
    assert surfaces["similar"] == Funnel(impressions=4, clicks=2, conversions=0)
    assert surfaces["buy_again"] == Funnel()
    assert surfaces["for_you"].ctr == pytest.approx(0.2)
    assert surfaces["for_you"].conversion_rate == pytest.approx(1 / 3)
    assert surfaces["similar"].conversion_rate == 0.0
    assert surfaces["buy_again"].ctr is None
    daily = {point.day: point.funnel for point in stats.daily}
    assert len(daily) == 7
    assert daily[date(2026, 3, 9)] == Funnel(impressions=10, clicks=2, conversions=1)
    assert daily[date(2026, 3, 10)] == Funnel(impressions=9, clicks=3, conversions=0)
    assert daily[date(2026, 3, 4)] == Funnel()
    models = {row.model_version_id: row for row in stats.models}
    assert list(models) == [version.pk, None]
    assert models[version.pk].label == "v1"
    assert models[version.pk].is_active is True
    assert models[version.pk].total == Funnel(impressions=15, clicks=3, conversions=1)
    assert models[version.pk].offline["ndcg@10"] == 0.25
    assert models[version.pk].offline["coverage"] is None
    assert models[None].total == Funnel(impressions=4, clicks=2, conversions=0)
    assert dict(models[None].by_surface) == {"similar": Funnel(impressions=4, clicks=2)}


def test_a_purchase_on_the_last_day_of_the_window_still_counts(shop: dict[str, Any]) -> None:
    user, address = make_buyer()
    product = catalog_factories.product(stock=(5,))
    shown = show(surface="cart_addons", version=None, day=10, count=1)
    click(shown, position=0, product_id=product.pk, user_id=user.pk, when=at(10, 8))
    buy(user, address, product, paid_at=at(10, 8) + timedelta(days=7))

    stats = recommendation_stats(days=7, today=TODAY)

    surfaces = {row.surface: row.total for row in stats.surfaces}
    assert surfaces["cart_addons"] == Funnel(impressions=1, clicks=1, conversions=1)


def test_local_days_decide_the_bucket(shop: dict[str, Any]) -> None:
    # 23:30 in Shanghai on 03-10 is 15:30 UTC: still 03-10 here.
    show(surface="buy_again", version=None, day=10, count=2, hour=23)

    stats = recommendation_stats(days=7, today=TODAY)

    assert {p.day: p.funnel.impressions for p in stats.daily}[date(2026, 3, 10)] == 11


def test_only_the_offered_periods_are_accepted() -> None:
    with pytest.raises(ValidationFailed) as refused:
        recommendation_stats(days=8)

    assert refused.value.field == "days"


def test_the_page_draws_the_charts_and_the_side_by_side_table(
    shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    office = Client(HTTP_ACCEPT_LANGUAGE="en")
    office.force_login(UserFactory(is_superuser=True, is_staff=True))
    monkeypatch.setattr(clock, "now", lambda: at(10, 18))

    response = office.get("/admin/recommend/modelversion/stats/", {"days": "7"})

    page = response.content.decode()
    figures = json.loads(
        page.split('<script id="dashboard-figures" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    assert set(figures) == {"volume", "ctr-surface", "ctr-model", "conversion-model"}
    impressions, clicks, conversions = figures["volume"]["data"]
    assert impressions["x"][-2:] == ["03-09", "03-10"]
    assert impressions["y"][-2:] == [10, 9]
    assert clicks["y"][-2:] == [2, 3]
    assert conversions["y"][-2:] == [1, 0]
    assert [line["name"] for line in figures["ctr-model"]["data"]] == ["v1", "non-personalised"]
    assert figures["ctr-surface"]["data"][0]["y"][-2:] == [0.2, 0.2]  # for-you: 2/10, 1/5
    for name in ("volume", "ctr-surface", "ctr-model", "conversion-model"):
        assert f'data-chart="{name}"' in page
    models = page.split('data-testid="table-models"')[1].split("</table>")[0]
    assert "<td>v1 ★</td><td>15</td><td>3</td><td>20.0%</td><td>1</td><td>33.3%</td>" in models
    assert "<td>0.2500</td>" in models
    cards = page.split('data-testid="kpi-ctr"')[1].split("</article>")[0]
    assert "26.3%" in cards  # 5 / 19
