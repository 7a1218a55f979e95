"""Earn rules, earning by rule within a daily cap, what a refund leaves owed, expiry by FIFO
lots and the warning before it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from circlemart.core import clock
from circlemart.core.errors import Conflict
from circlemart.core.events import relay_pending
from circlemart.growth.points import expiry, selectors, services
from circlemart.growth.points.contracts import EarnRuleCode, EntryKind
from circlemart.growth.points.models import (
    PointsDebt,
    PointsEarnRule,
    PointsEntry,
    PointsLot,
    PointsLotUse,
)
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.catalog.factories import product as make_product
from tests.growth.points.conftest import assert_ledger, give
from tests.reviews.helpers import photo

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_earn_rules_have_defaults_on_first_read_and_off_means_zero() -> None:
    assert PointsEarnRule.objects.count() == 0
    assert selectors.points_for(EarnRuleCode.CHECKIN) == 5
    assert PointsEarnRule.objects.count() == len(EarnRuleCode)
    PointsEarnRule.objects.filter(code=EarnRuleCode.CHECKIN).update(is_active=False)
    assert selectors.points_for(EarnRuleCode.CHECKIN) == 0
    assert selectors.points_for("no_such_rule") == 0
    selectors.earn_rules_ensure()  # again: the operator's change stays
    assert PointsEarnRule.objects.get(code=EarnRuleCode.CHECKIN).is_active is False


def test_earning_by_rule_stops_at_the_daily_cap_of_the_growth_day(monkeypatch) -> None:
    user = UserFactory()
    PointsEarnRule.objects.create(code=EarnRuleCode.TASK, points=30, daily_cap=70)
    late = datetime(2027, 3, 1, 23, 59, 59, tzinfo=SHANGHAI)
    monkeypatch.setattr(clock, "now", lambda: late)
    paid = [
        services.points_earn_by_rule(user_id=user.pk, code=EarnRuleCode.TASK, idempotency_key=k)
        for k in ("a", "b", "c", "d")
    ]
    assert [entry.amount if entry else None for entry in paid] == [30, 30, 10, None]
    # the same key again is the first entry, not a new one
    again = services.points_earn_by_rule(
        user_id=user.pk, code=EarnRuleCode.TASK, idempotency_key="a"
    )
    assert again is not None
    assert again.pk == paid[0].pk
    # one second later it is another day in Shanghai: the cap starts again
    monkeypatch.setattr(clock, "now", lambda: late + timedelta(seconds=1))
    entry = services.points_earn_by_rule(
        user_id=user.pk, code=EarnRuleCode.TASK, idempotency_key="e"
    )
    assert entry is not None
    assert entry.amount == 30
    assert selectors.points_balance(user.pk) == 100
    assert_ledger()


def test_a_rule_that_is_off_pays_nothing_and_writes_nothing() -> None:
    user = UserFactory()
    PointsEarnRule.objects.create(code=EarnRuleCode.INVITE, points=100, is_active=False)
    assert (
        services.points_earn_by_rule(user_id=user.pk, code=EarnRuleCode.INVITE, idempotency_key="x")
        is None
    )
    assert not PointsEntry.objects.exists()


def test_taking_back_more_than_the_balance_owes_the_rest_and_next_earnings_pay_it() -> None:
    user = UserFactory()
    give(user.pk, 40, "first")
    with transaction.atomic():
        services.lock_balance(user.pk)
        taken, owed = services.take_back_locked(
            user_id=user.pk, amount=100, reason="order_refunded", idempotency_key="back"
        )
    assert (taken, owed) == (40, 60)
    assert selectors.points_balance(user.pk) == 0
    assert selectors.points_owed(user.pk) == 60
    give(user.pk, 50, "second")  # all 50 pay the debt
    assert selectors.points_balance(user.pk) == 0
    assert selectors.points_owed(user.pk) == 10
    give(user.pk, 25, "third")  # 10 pay the rest of it, 15 stay
    assert selectors.points_balance(user.pk) == 15
    assert PointsDebt.objects.get(user=user).owed == 0
    owed_entries = PointsEntry.objects.filter(user=user, reason="owed").order_by("id")
    assert [(e.kind, e.amount) for e in owed_entries] == [("reverse", 50), ("reverse", 10)]
    assert_ledger()


def test_due_lots_expire_oldest_first_and_a_rerun_expires_nothing_more(monkeypatch) -> None:
    user, other = UserFactory(), UserFactory()
    now = clock.now()
    old = give(user.pk, 100, "old", expires_at=now + timedelta(days=1))
    give(user.pk, 50, "new", expires_at=now + timedelta(days=30))
    give(other.pk, 70, "other", expires_at=now + timedelta(days=2))
    services.points_spend(user_id=user.pk, amount=30, reason="redeem", idempotency_key="s")
    # the spend took from the lot that expires first
    assert PointsLot.objects.get(entry=old).remaining == 70
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(days=3))
    seen: list[int] = []
    assert expiry.points_expire_due(batch_size=1, progress=seen.append) == 2
    assert seen == [1, 2]
    assert expiry.points_expire_due() == 0
    assert selectors.points_balance(user.pk) == 50
    assert selectors.points_balance(other.pk) == 0
    expired = PointsEntry.objects.filter(kind=EntryKind.EXPIRE).order_by("user_id")
    assert sorted(e.amount for e in expired) == [70, 70]
    assert_ledger()


def test_a_spend_never_takes_points_already_past_expiry(monkeypatch) -> None:
    user = UserFactory()
    now = clock.now()
    give(user.pk, 100, "soon", expires_at=now + timedelta(hours=1))
    give(user.pk, 20, "later", expires_at=now + timedelta(days=30))
    monkeypatch.setattr(clock, "now", lambda: now + timedelta(hours=2))
    assert selectors.points_balance(user.pk) == 120  # not swept yet
    assert selectors.points_spendable(user.pk) == 20
    with pytest.raises(Conflict) as refused:
        services.points_spend(user_id=user.pk, amount=50, reason="redeem", idempotency_key="x")
    assert (refused.value.code, refused.value.field) == ("insufficient_points", "points")
    assert not PointsLotUse.objects.exists()
    assert selectors.points_balance(user.pk) == 120


def test_holders_are_warned_once_per_lot_before_it_expires(monkeypatch, settings) -> None:
    settings.POINTS_EXPIRY_WARNING_DAYS = 7
    user = UserFactory()
    now = clock.now()
    soon = give(user.pk, 80, "soon", expires_at=now + timedelta(days=5))
    give(user.pk, 20, "far", expires_at=now + timedelta(days=60))
    give(user.pk, 10, "never", expires_at=None)
    assert expiry.points_warn_expiring() == 1
    assert expiry.points_warn_expiring() == 0
    lot = PointsLot.objects.get(entry=soon)
    note = Notification.objects.get(recipient=user)
    assert (note.kind, note.target_type, note.target_id) == (
        NotificationKind.POINTS_EXPIRING,
        TargetType.GROWTH,
        lot.pk,
    )
    expected_day = (now + timedelta(days=5)).astimezone(SHANGHAI).date().isoformat()
    assert note.excerpt == f"80 points expire on {expected_day}"
    assert lot.warned_at is not None
    view = selectors.points_balance_view(user.pk)
    assert (view.expiring_soon, view.next_expiry) == (80, lot.expires_at)


def test_a_review_with_photos_earns_once_and_one_without_earns_nothing(
    purchases, django_capture_on_commit_callbacks
) -> None:
    from circlemart.reviews import services as review_services

    PointsEarnRule.objects.create(code=EarnRuleCode.REVIEW_WITH_PHOTOS, points=20, daily_cap=0)
    product = make_product()
    author, plain = UserFactory(), UserFactory()
    for user, photos in ((author, [photo()]), (plain, [])):
        line = purchases.buy(user, product)
        review_services.review_create(
            author_id=user.pk,
            product_id=product.pk,
            order_line_id=line,
            rating=5,
            text="很好用",
            photos=photos,
        )
    with django_capture_on_commit_callbacks(execute=True):
        relay_pending()
    relay_pending()
    earned = PointsEntry.objects.filter(reason=EarnRuleCode.REVIEW_WITH_PHOTOS)
    assert [(e.user_id, e.amount) for e in earned] == [(author.pk, 20)]
    assert selectors.points_balance(plain.pk) == 0
    assert_ledger()
