"""Chinese wording slips seen in the shop, rendered: a percent coupon reads 9折 (not "10% 折扣"),
a free-shipping coupon named 包邮券 is not labelled twice, countdowns name their days (13天 /
13d), comments say how long ago (刚刚 / 3分钟前, not 3分钟; see tests/core/test_humanize.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.promotions.coupons.contracts import CouponKind
from circlemart.promotions.flash.models import FlashItem, FlashSession
from circlemart.social import services as social_services
from tests.accounts.factories import UserFactory
from tests.html_page import visible_text
from tests.orders.conftest import make_sku
from tests.promotions.conftest import template
from tests.social.helpers import note

pytestmark = pytest.mark.django_db


def test_coupons_read_as_zhe_and_name_their_kind_once() -> None:
    template(name="九折券", name_en="10% off", kind=CouponKind.PERCENT, amount=0, percent=10)
    template(name="85折券", name_en="15% off", kind=CouponKind.PERCENT, amount=0, percent=15)
    template(name="包邮券", name_en="Free shipping", kind=CouponKind.FREE_SHIPPING, amount=0)
    chinese = visible_text(Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/promotions/coupons/"))
    assert "9折 九折券" in chinese
    assert "8.5折 85折券" in chinese
    assert "%" not in chinese
    assert chinese.count("包邮券") == 1
    english = visible_text(Client(HTTP_ACCEPT_LANGUAGE="en").get("/promotions/coupons/"))
    assert "10% off No minimum spend" in english  # the name equals the headline: said once
    assert "15% off No minimum spend" in english
    assert english.count("Free shipping") == 1


def test_flash_countdowns_name_their_days() -> None:
    session = FlashSession.objects.create(
        name="双十二秒杀",
        starts_at=clock.now() - timedelta(minutes=5),
        ends_at=clock.now() + timedelta(days=13, hours=4, seconds=30),
        is_active=True,
    )
    FlashItem.objects.create(session=session, sku_id=make_sku(), flash_price=1000, flash_stock=5)
    chinese = visible_text(Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/promotions/flash/"))
    assert "距结束 13天 04:00:" in chinese
    english = visible_text(Client(HTTP_ACCEPT_LANGUAGE="en").get("/promotions/flash/"))
    assert "Ends in 13d 04:00:" in english


def test_comments_say_how_long_ago() -> None:
    author, reader = UserFactory(), UserFactory()
    written = note(author, "周末去露营")
    social_services.comment_create(author_id=reader.pk, note_id=written.pk, text="好看")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(author)
    page = visible_text(client.get(f"/notes/{written.pk}/"))
    assert "刚刚" in page
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(author)
    assert "just now" in visible_text(english.get(f"/notes/{written.pk}/"))
