"""The demo promotions: live coupons, a flash session now and one later, group deals with
groups filling up (paid through the test gateway) — and a second run adds nothing."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.promotions.bargain.models import Bargain
from circlemart.promotions.coupons import selectors
from circlemart.promotions.flash.models import FlashItem, FlashSession
from circlemart.promotions.group import selectors as group_selectors
from circlemart.promotions.group.models import Group, GroupDeal, GroupMember
from circlemart.promotions.seed import seed_promotions
from tests.promotions.conftest import make_buyer, make_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> list[int]:
    for index in range(16):
        make_sku(price=5000 + index * 1000, stock=100)
    return [make_buyer()[0].pk for _ in range(12)]


def test_the_demo_shop_has_live_offers_and_a_second_run_adds_nothing(
    shop: list[int], django_capture_on_commit_callbacks: object
) -> None:
    summary = seed_promotions(rng=random.Random(1), user_ids=shop)
    assert summary == "6 coupons, 8 flash items, 4 group deals, 3 bargain deals"
    now = clock.now()
    assert FlashSession.objects.filter(starts_at__lte=now, ends_at__gt=now).count() == 1
    for session in FlashSession.objects.all():  # "10:00 场": named after its start
        assert session.name == f"{timezone.localtime(session.starts_at):%H:%M} 场"
    # the four coupons of the claim centre and one whose campaign ends in two days
    assert len(selectors.claimable_coupons(viewer_id=None)) == 5
    open_groups = Group.objects.filter(status="open")
    assert open_groups.count() == 8
    for group in open_groups:
        assert 1 <= group.paid_count < group.size
        assert group.paid_count == GroupMember.objects.filter(group=group, status="paid").count()
    deal = GroupDeal.objects.first()
    assert deal is not None
    product = catalog_selectors.skus_for_sale([deal.sku_id])[deal.sku_id].product_id
    assert group_selectors.live_deals(product_id=product)
    bargains = Bargain.objects.all()
    assert bargains.count() == 3
    for bargain in bargains:
        assert bargain.floor_price < bargain.current_price < bargain.start_price
        assert 1 <= bargain.helpers_count < bargain.helpers_needed
    again = seed_promotions(rng=random.Random(1), user_ids=shop)
    assert again == summary
    assert Group.objects.count() == 8
    assert FlashItem.objects.count() == 8
    assert Bargain.objects.count() == 3
