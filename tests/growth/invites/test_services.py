"""Invites services: codes, binding (and every refusal writing nothing), milestone rewards
paid once per (invite, milestone, side), the first kept order, fission tasks, reviews."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import DeliveredEvent
from circlemart.growth.invites import handlers, services
from circlemart.growth.invites.contracts import (
    CODE_ALPHABET,
    BindSignals,
    BoundVia,
    Milestone,
    Review,
    RewardChoice,
    RewardState,
    Touch,
)
from circlemart.growth.invites.models import (
    FissionCompletion,
    Invite,
    InviteCode,
    InviteMilestone,
    InviteReward,
)
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.notifications.contracts import NotificationKind
from circlemart.notifications.models import Notification
from circlemart.orders.events import OrderAfterSalesClosed
from circlemart.promotions.coupons.models import UserCoupon
from tests.growth.invites.conftest import (
    bind,
    fission_task,
    member,
    newcomer,
    points_rule,
    rule,
)
from tests.promotions.conftest import template

pytestmark = pytest.mark.django_db


def closed(buyer_id: int, number: str, *, paid: int = 5000, refunded: int = 0) -> None:
    """Deliver an OrderAfterSalesClosed for one line of `paid` with `refunded` back."""
    event = OrderAfterSalesClosed(
        order_number=number,
        buyer_id=buyer_id,
        paid_amount=paid,
        refunded_amount=refunded,
        lines=[
            {
                "line_id": 1,
                "product_id": 1,
                "sku_id": 1,
                "quantity": 1,
                "total": paid,
                "refunded_amount": refunded,
            }
        ],
    )
    handlers.first_order_of_invitee(
        DeliveredEvent(event_id=uuid.uuid4(), occurred_at=clock.now(), event=event)
    )


def nothing_bound() -> None:
    assert Invite.objects.count() == 0
    assert InviteMilestone.objects.count() == 0
    assert InviteReward.objects.count() == 0
    assert RewardGrant.objects.count() == 0


# --- Codes ------------------------------------------------------------------------------------


def test_a_code_is_created_once_short_and_readable() -> None:
    user = member()
    first = services.invite_code_ensure(user_id=user.pk)
    again = services.invite_code_ensure(user_id=user.pk)
    assert first.pk == again.pk
    assert len(first.code) == 8
    assert set(first.code) <= set(CODE_ALPHABET)
    assert InviteCode.objects.count() == 1


def test_codes_differ_between_users() -> None:
    codes = {services.invite_code_ensure(user_id=member().pk).code for _ in range(20)}
    assert len(codes) == 20


def test_opening_a_link_counts_the_visit_and_refuses_ones_own() -> None:
    inviter = member()
    code = services.invite_code_ensure(user_id=inviter.pk)
    services.invite_link_opened(raw_code=code.code.lower(), viewer_id=None)
    with pytest.raises(ValidationFailed) as own:
        services.invite_link_opened(raw_code=code.code, viewer_id=inviter.pk)
    assert (own.value.code, own.value.field) == ("self_invite", "code")
    assert InviteCode.objects.get(pk=code.pk).visit_count == 1


# --- Binding ----------------------------------------------------------------------------------


def test_binding_records_attribution_and_the_registered_milestone() -> None:
    inviter, invitee = member(), newcomer()
    code = services.invite_code_ensure(user_id=inviter.pk).code
    first = Touch(code=code, at=clock.now() - timedelta(days=2), channel="poster", utm={})
    last = Touch(
        code=code, at=clock.now() - timedelta(hours=1), channel="link", utm={"utm_source": "wx"}
    )

    bound = services.invite_bind(
        invitee_id=invitee.pk,
        code=code,
        via=BoundVia.WEB,
        first_touch=first,
        last_touch=last,
        signals=BindSignals(ip_digest="ip1", browser="b1", device_owner_id=None),
    )

    invite = Invite.objects.get()
    assert (bound.invite_id, bound.inviter_id, bound.inviter_name) == (
        invite.pk,
        inviter.pk,
        inviter.nickname,
    )
    assert (invite.inviter_id, invite.invitee_id, invite.code, invite.bound_via) == (
        inviter.pk,
        invitee.pk,
        code,
        "web",
    )
    assert (invite.first_touch_code, invite.first_touch_at, invite.first_touch_channel) == (
        code,
        first.at,
        "poster",
    )
    assert (invite.last_touch_at, invite.last_touch_channel, invite.last_touch_utm) == (
        last.at,
        "link",
        {"utm_source": "wx"},
    )
    assert (invite.signup_ip_digest, invite.signup_browser) == ("ip1", "b1")
    milestone = InviteMilestone.objects.get()
    assert (milestone.milestone, milestone.review, milestone.reasons) == (
        Milestone.REGISTERED,
        Review.CLEAR,
        [],
    )
    # No rule configured: recruiting alone pays nothing.
    assert InviteReward.objects.count() == 0
    assert RewardGrant.objects.count() == 0


def test_registered_pays_both_sides_as_configured_and_notifies() -> None:
    points_rule(Milestone.REGISTERED, inviter=50, invitee=200)
    inviter, invitee = member(), newcomer()

    bind(inviter, invitee)

    assert points_selectors.points_balance(inviter.pk) == 50
    assert points_selectors.points_balance(invitee.pk) == 200
    rewards = {row.side: row for row in InviteReward.objects.all()}
    assert {side: row.state for side, row in rewards.items()} == {
        "inviter": RewardState.PAID,
        "invitee": RewardState.PAID,
    }
    invite = Invite.objects.get()
    assert sorted(RewardGrant.objects.values_list("idempotency_key", flat=True)) == [
        f"invite:{invite.pk}:registered:invitee",
        f"invite:{invite.pk}:registered:inviter",
    ]
    assert set(
        Notification.objects.filter(kind=NotificationKind.REWARD_GRANTED).values_list(
            "recipient_id", flat=True
        )
    ) == {inviter.pk, invitee.pk}


def test_the_registered_reward_can_be_nothing_for_the_inviter() -> None:
    coupon = template(is_public=False, total_quantity=10)
    rule(
        Milestone.REGISTERED,
        inviter_kind=RewardChoice.NONE,
        invitee_kind=RewardChoice.COUPON,
        invitee_coupon=coupon,
    )
    inviter, invitee = member(), newcomer()

    bind(inviter, invitee)

    reward = InviteReward.objects.get()
    assert (reward.side, reward.user_id, reward.state) == ("invitee", invitee.pk, "paid")
    assert UserCoupon.objects.filter(owner=invitee, template=coupon).count() == 1
    assert not UserCoupon.objects.filter(owner=inviter).exists()
    assert points_selectors.points_balance(inviter.pk) == 0


@pytest.mark.parametrize("code", ["", "NOPE2345", "0O1I", "X" * 40])
def test_an_unknown_code_is_refused_naming_the_code(code: str) -> None:
    invitee = newcomer()
    member()
    with pytest.raises((NotFound, ValidationFailed)) as refused:
        services.invite_bind(invitee_id=invitee.pk, code=code, via=BoundVia.APP)
    assert refused.value.field == "code"
    assert refused.value.status in (400, 404)
    nothing_bound()


def test_ones_own_code_is_refused() -> None:
    user = newcomer()
    code = services.invite_code_ensure(user_id=user.pk).code
    with pytest.raises(ValidationFailed) as refused:
        services.invite_bind(invitee_id=user.pk, code=code, via=BoundVia.APP)
    assert (refused.value.code, refused.value.field) == ("self_invite", "code")
    nothing_bound()


def test_the_code_of_a_disabled_or_deleted_inviter_is_refused() -> None:
    disabled, deleted = member(), member()
    disabled_code = services.invite_code_ensure(user_id=disabled.pk).code
    deleted_code = services.invite_code_ensure(user_id=deleted.pk).code
    disabled.is_active = False
    disabled.save(update_fields=["is_active"])
    deleted.delete()
    invitee = newcomer()
    for code in (disabled_code, deleted_code):
        with pytest.raises(NotFound) as refused:
            services.invite_bind(invitee_id=invitee.pk, code=code, via=BoundVia.APP)
        assert (refused.value.code, refused.value.field) == ("invite_code_unknown", "code")
    nothing_bound()


def test_an_account_binds_once() -> None:
    first, second, invitee = member(), member(), newcomer()
    bind(first, invitee)
    with pytest.raises(Conflict) as refused:
        bind(second, invitee)
    assert (refused.value.code, refused.value.field) == ("already_bound", "code")
    assert list(Invite.objects.values_list("inviter_id", flat=True)) == [first.pk]


def test_binding_closes_after_the_window(settings: object) -> None:
    inviter = member()
    invitee = member(days_ago=4)  # INVITE_BIND_WINDOW_HOURS is 72
    with pytest.raises(Conflict) as refused:
        bind(inviter, invitee)
    assert (refused.value.code, refused.value.field) == ("bind_window_closed", "code")
    nothing_bound()


def test_a_loop_is_refused_whatever_its_length() -> None:
    a = member(days_ago=0.03)
    b = member(days_ago=0.02)
    c = member(days_ago=0.01)
    bind(a, b)
    bind(b, c)
    for inviter, invitee in ((b, a), (c, a)):  # B → A → B, C → B → A → C
        with pytest.raises(ValidationFailed) as refused:
            bind(inviter, invitee)
        assert (refused.value.code, refused.value.field) == ("invite_loop", "code")
    assert Invite.objects.count() == 2


# --- First kept order -------------------------------------------------------------------------


def test_the_first_kept_order_pays_once_and_later_orders_pay_nothing() -> None:
    points_rule(Milestone.FIRST_ORDER, inviter=300, invitee=100)
    inviter, invitee = member(), newcomer()
    bind(inviter, invitee)

    closed(invitee.pk, "O-1")
    closed(invitee.pk, "O-1")  # redelivered
    closed(invitee.pk, "O-2")  # a second order

    milestone = InviteMilestone.objects.get(milestone=Milestone.FIRST_ORDER)
    assert (milestone.reference, milestone.review) == ("O-1", Review.CLEAR)
    assert points_selectors.points_balance(inviter.pk) == 300
    assert points_selectors.points_balance(invitee.pk) == 100
    assert InviteReward.objects.filter(state=RewardState.PAID).count() == 2


def test_a_fully_refunded_order_is_not_a_first_order_but_the_next_kept_one_is() -> None:
    points_rule(Milestone.FIRST_ORDER, inviter=300)
    inviter, invitee = member(), newcomer()
    bind(inviter, invitee)

    closed(invitee.pk, "O-1", paid=5000, refunded=5000)
    assert not InviteMilestone.objects.filter(milestone=Milestone.FIRST_ORDER).exists()
    assert points_selectors.points_balance(inviter.pk) == 0

    closed(invitee.pk, "O-2", paid=5000, refunded=1000)  # partly refunded: kept
    assert InviteMilestone.objects.get(milestone=Milestone.FIRST_ORDER).reference == "O-2"
    assert points_selectors.points_balance(inviter.pk) == 300


def test_orders_of_buyers_nobody_invited_change_nothing() -> None:
    points_rule(Milestone.FIRST_ORDER, inviter=300)
    closed(member().pk, "O-1")
    assert InviteMilestone.objects.count() == 0
    assert RewardGrant.objects.count() == 0


def test_a_sold_out_coupon_reward_is_held_and_paid_on_approval() -> None:
    coupon = template(is_public=False, total_quantity=1)
    rule(Milestone.FIRST_ORDER, inviter_kind=RewardChoice.COUPON, inviter_coupon=coupon)
    inviter = member()
    first, second = newcomer(), newcomer()
    bind(inviter, first)
    bind(inviter, second)
    closed(first.pk, "O-1")
    closed(second.pk, "O-2")

    held = InviteMilestone.objects.get(reference="O-2")
    assert held.review == Review.HELD
    assert [reason["code"] for reason in held.reasons] == ["reward_unavailable"]
    assert InviteReward.objects.get(milestone=held).state == RewardState.HELD
    assert UserCoupon.objects.filter(owner=inviter).count() == 1

    coupon.total_quantity = 2
    coupon.save(update_fields=["total_quantity"])
    operator = staff_reviewer()
    services.invite_milestone_review(actor_id=operator.pk, milestone_id=held.pk, approve=True)
    assert InviteReward.objects.get(milestone=held).state == RewardState.PAID
    assert UserCoupon.objects.filter(owner=inviter).count() == 2


# --- Reviews ----------------------------------------------------------------------------------


def staff_reviewer() -> object:
    user = member(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_invitemilestone"))
    return user


def held_invite(settings: object) -> InviteMilestone:
    settings.INVITE_DAILY_CAP = 1  # type: ignore[attr-defined]
    points_rule(Milestone.REGISTERED, inviter=50, invitee=200)
    inviter = member()
    bind(inviter, newcomer())
    bind(inviter, newcomer())  # the second of the day: held (velocity)
    return InviteMilestone.objects.get(review=Review.HELD)


def test_approving_a_held_milestone_pays_and_records_who(settings: object) -> None:
    held = held_invite(settings)
    invite = held.invite
    assert points_selectors.points_balance(invite.invitee_id) == 0
    operator = staff_reviewer()

    decided = services.invite_milestone_review(
        actor_id=operator.pk, milestone_id=held.pk, approve=True, note="known friends"
    )

    assert (decided.review, decided.reviewed_by_id, decided.review_note) == (
        Review.APPROVED,
        operator.pk,
        "known friends",
    )
    assert decided.reviewed_at is not None
    assert points_selectors.points_balance(invite.invitee_id) == 200
    assert points_selectors.points_balance(invite.inviter_id) == 100  # 50 + 50
    with pytest.raises(Conflict) as again:
        services.invite_milestone_review(actor_id=operator.pk, milestone_id=held.pk, approve=False)
    assert again.value.code == "not_held"
    assert InviteMilestone.objects.get(pk=held.pk).review == Review.APPROVED


def test_rejecting_a_held_milestone_refuses_its_rewards(settings: object) -> None:
    held = held_invite(settings)
    operator = staff_reviewer()
    services.invite_milestone_review(actor_id=operator.pk, milestone_id=held.pk, approve=False)
    assert set(InviteReward.objects.filter(milestone=held).values_list("state", flat=True)) == {
        RewardState.REFUSED
    }
    assert points_selectors.points_balance(held.invite.invitee_id) == 0
    assert RewardGrant.objects.count() == 2  # the first invite's two rewards only


def test_reviewing_needs_the_permission(settings: object) -> None:
    held = held_invite(settings)
    with pytest.raises(PermissionDenied):
        services.invite_milestone_review(actor_id=member().pk, milestone_id=held.pk, approve=True)
    assert InviteMilestone.objects.get(pk=held.pk).review == Review.HELD


# --- Fission ----------------------------------------------------------------------------------


def test_a_fission_task_pays_once_when_enough_friends_bought() -> None:
    task = fission_task(friends=2, points=500)
    fission_task(friends=3, points=900)
    inviter = member()
    friends = [newcomer() for _ in range(3)]
    for friend in friends:
        bind(inviter, friend)

    closed(friends[0].pk, "O-1")
    assert FissionCompletion.objects.count() == 0
    closed(friends[1].pk, "O-2")
    assert list(FissionCompletion.objects.values_list("task_id", "user_id")) == [
        (task.pk, inviter.pk)
    ]
    assert points_selectors.points_balance(inviter.pk) == 500
    closed(friends[2].pk, "O-3")
    assert FissionCompletion.objects.count() == 2
    assert points_selectors.points_balance(inviter.pk) == 1400
    assert services.fission_check(user_id=inviter.pk) == []  # nothing twice
    assert points_selectors.points_balance(inviter.pk) == 1400


def test_held_friends_do_not_count_for_fission(settings: object) -> None:
    settings.INVITE_DAILY_CAP = 1
    fission_task(friends=2)
    inviter = member()
    friends = [newcomer() for _ in range(2)]
    for friend in friends:
        bind(inviter, friend)
    closed(friends[0].pk, "O-1")
    closed(friends[1].pk, "O-2")  # held: over the daily cap
    assert FissionCompletion.objects.count() == 0
    held = InviteMilestone.objects.get(reference="O-2")
    services.invite_milestone_review(
        actor_id=staff_reviewer().pk, milestone_id=held.pk, approve=True
    )
    assert FissionCompletion.objects.count() == 1


def test_a_task_outside_its_dates_counts_nothing() -> None:
    fission_task(friends=1, starts_at=clock.now() + timedelta(days=1))
    inviter, friend = member(), newcomer()
    bind(inviter, friend)
    closed(friend.pk, "O-1")
    assert FissionCompletion.objects.count() == 0
