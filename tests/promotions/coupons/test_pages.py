"""Promotions pages: claim centre with htmx claim buttons, my coupons tabs, redeem form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.core import clock
from circlemart.promotions.coupons.models import CouponCode, UserCoupon
from tests.accounts.factories import UserFactory
from tests.html_page import visible_text
from tests.promotions.conftest import claimed, template

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_claim_centre_lists_open_coupons_and_claims_in_place() -> None:
    user = UserFactory()
    coupon_template = template(name_en="Spring sale", total_quantity=2)
    template(claim_ends_at=clock.now() - timedelta(minutes=1), name_en="Closed")
    client = signed_in(user)
    page = client.get("/promotions/coupons/")
    assert page.status_code == 200
    text = visible_text(page)
    assert "Spring sale" in text
    assert "Closed" not in text
    assert "2 left" in text
    answer = client.post(f"/promotions/coupons/{coupon_template.pk}/claim/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "Claimed! It is in My coupons." in visible_text(answer)
    assert 'data-testid="claimed"' in answer.content.decode()
    again = client.post(f"/promotions/coupons/{coupon_template.pk}/claim/", HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert "You have claimed this coupon the most times allowed (1)." in visible_text(again)
    assert UserCoupon.objects.count() == 1


def test_visitors_are_sent_to_sign_in_to_claim() -> None:
    coupon_template = template()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    answer = client.post(f"/promotions/coupons/{coupon_template.pk}/claim/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 204
    assert answer["HX-Redirect"].startswith("/accounts/login/")
    assert client.post(f"/promotions/coupons/{coupon_template.pk}/claim/").status_code == 302
    assert client.get("/promotions/me/").status_code == 302
    assert UserCoupon.objects.count() == 0


def test_my_coupons_tabs_and_names_are_inert() -> None:
    user = UserFactory()
    usable = claimed(user.pk, template(name=XSS, name_en=XSS))
    gone = claimed(user.pk, template(name_en="Old one"))
    UserCoupon.objects.filter(pk=gone).update(
        valid_from=clock.now() - timedelta(days=3), valid_until=clock.now() - timedelta(days=1)
    )
    client = signed_in(user)
    page = client.get("/promotions/me/")
    html = page.content.decode()
    assert XSS not in html
    assert "&lt;script&gt;" in html
    assert "Usable (1)" in visible_text(page)
    assert "Expired (1)" in visible_text(page)
    expired = visible_text(client.get("/promotions/me/?tab=expired"))
    assert "Old one" in expired
    assert usable  # the usable one is on the first tab only
    assert "Old one" not in visible_text(page)


def test_redeem_form() -> None:
    user = UserFactory()
    CouponCode.objects.create(template=template(is_public=False), code="HELLO")
    client = signed_in(user)
    wrong = client.post("/promotions/redeem/", {"code": "NOPE"})
    assert wrong.status_code == 400
    assert "This code is not valid. Check it and try again." in visible_text(wrong)
    done = client.post("/promotions/redeem/", {"code": "hello"})
    assert (done.status_code, done["Location"]) == (302, "/promotions/me/")
    assert UserCoupon.objects.filter(owner=user).count() == 1
