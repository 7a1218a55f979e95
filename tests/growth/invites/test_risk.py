"""The anti-cheat rules before any invite reward: each rule holds the reward with its reason;
nothing fires for an ordinary friend; another implementation can be plugged in by setting
and a broken one is caught at start-up."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.core.checks import run_checks

from circlemart.core import clock
from circlemart.growth.invites import services
from circlemart.growth.invites.contracts import (
    BindSignals,
    InviteContext,
    Milestone,
    Review,
    RewardState,
    RiskReason,
    RiskVerdict,
)
from circlemart.growth.invites.models import Invite, InviteMilestone, InviteReward
from circlemart.growth.invites.risk import RuleBasedInviteRiskCheck
from circlemart.growth.points import selectors as points_selectors
from tests.accounts.factories import AddressFactory, UserFactory
from tests.growth.invites.conftest import bind, member, newcomer, points_rule
from tests.growth.invites.test_services import closed

pytestmark = pytest.mark.django_db


def verdict_of(invitee_id: int, milestone: str = Milestone.REGISTERED) -> tuple[str, list[str]]:
    row = InviteMilestone.objects.get(invite__invitee_id=invitee_id, milestone=milestone)
    return row.review, [reason["code"] for reason in row.reasons]


@pytest.fixture(autouse=True)
def _rewards() -> None:
    points_rule(Milestone.REGISTERED, inviter=10, invitee=100)


def test_an_ordinary_friend_passes_and_is_paid() -> None:
    inviter, friend = member(email="ann@example.com"), newcomer(email="bo@example.com")
    services.invite_code_seen(user_id=inviter.pk, ip_digest="ip-home", browser="b-ann")
    bind(inviter, friend, signals=BindSignals(ip_digest="ip-bo", browser="b-bo"))
    assert verdict_of(friend.pk) == (Review.CLEAR, [])
    assert points_selectors.points_balance(friend.pk) == 100


@pytest.mark.parametrize(
    ("inviter_email", "invitee_email"),
    [
        ("ann@example.com", "ann+2@example.com"),
        ("a.n.n@gmail.com", "ann@googlemail.com"),
    ],
)
def test_the_same_mailbox_is_a_self_invite(inviter_email: str, invitee_email: str) -> None:
    inviter, invitee = member(email=inviter_email), newcomer(email=invitee_email)
    bind(inviter, invitee)
    assert verdict_of(invitee.pk) == (Review.HELD, ["self_invite"])
    assert set(InviteReward.objects.values_list("state", flat=True)) == {RewardState.HELD}
    assert points_selectors.points_balance(invitee.pk) == 0
    assert points_selectors.points_balance(inviter.pk) == 0


def test_signing_up_on_the_inviters_signed_in_device_is_held() -> None:
    inviter, invitee = member(), newcomer()
    bind(inviter, invitee, signals=BindSignals(device_owner_id=inviter.pk))
    assert verdict_of(invitee.pk) == (Review.HELD, ["shared_device"])


def test_signing_up_in_the_browser_the_inviter_uses_is_held() -> None:
    inviter, invitee = member(), newcomer()
    services.invite_code_seen(user_id=inviter.pk, ip_digest="", browser="b-1")
    bind(inviter, invitee, signals=BindSignals(browser="b-1"))
    assert verdict_of(invitee.pk) == (Review.HELD, ["shared_device"])


def test_two_invitees_in_one_browser_are_a_ring() -> None:
    inviter, first, second = member(), newcomer(), newcomer()
    bind(inviter, first, signals=BindSignals(browser="b-9"))
    bind(inviter, second, signals=BindSignals(browser="b-9"))
    assert verdict_of(first.pk) == (Review.CLEAR, [])
    assert verdict_of(second.pk) == (Review.HELD, ["shared_device"])


def test_a_phone_shared_with_the_inviter_is_held() -> None:
    inviter = member()
    AddressFactory(user=inviter, phone="+8613900001111")
    invitee = UserFactory.with_phone(
        "+8613900001111", date_joined=clock.now() - timedelta(minutes=1)
    )
    bind(inviter, invitee)
    assert verdict_of(invitee.pk) == (Review.HELD, ["shared_phone"])


def test_a_phone_shared_between_invitees_is_held() -> None:
    inviter, first, second = member(), newcomer(), newcomer()
    AddressFactory(user=first, phone="+8613900002222", detail="A road 1")
    AddressFactory(user=second, phone="+8613900002222", detail="B road 2")
    bind(inviter, first)
    bind(inviter, second)
    assert verdict_of(second.pk) == (Review.HELD, ["shared_phone"])


def test_an_address_shared_with_the_inviter_is_held_even_spaced_differently() -> None:
    inviter, invitee = member(), newcomer()
    AddressFactory(user=inviter, phone="+8613900003333", detail="世纪大道 100 号")
    AddressFactory(user=invitee, phone="+8613900004444", detail="世纪大道100号")
    bind(inviter, invitee)
    assert verdict_of(invitee.pk) == (Review.HELD, ["shared_address"])


def test_an_address_added_later_holds_the_first_order() -> None:
    points_rule(Milestone.FIRST_ORDER, inviter=300)
    inviter, invitee = member(), newcomer()
    bind(inviter, invitee)
    assert verdict_of(invitee.pk) == (Review.CLEAR, [])
    AddressFactory(user=inviter, phone="+8613900005555", detail="Same street 5")
    AddressFactory(user=invitee, phone="+8613900006666", detail="Same street 5")
    closed(invitee.pk, "O-1")
    assert verdict_of(invitee.pk, Milestone.FIRST_ORDER) == (Review.HELD, ["shared_address"])
    assert points_selectors.points_balance(inviter.pk) == 10  # the registered reward only


def test_signing_up_from_the_inviters_ip_is_held_within_the_window() -> None:
    inviter, invitee = member(), newcomer()
    services.invite_code_seen(user_id=inviter.pk, ip_digest="ip-1", browser="")
    bind(inviter, invitee, signals=BindSignals(ip_digest="ip-1"))
    assert verdict_of(invitee.pk) == (Review.HELD, ["shared_ip"])


def test_the_inviters_ip_seen_long_ago_does_not_count() -> None:
    inviter, invitee = member(), newcomer()
    code = services.invite_code_seen(user_id=inviter.pk, ip_digest="ip-1", browser="")
    type(code).objects.filter(pk=code.pk).update(seen_at=clock.now() - timedelta(days=60))
    bind(inviter, invitee, signals=BindSignals(ip_digest="ip-1"))
    assert verdict_of(invitee.pk) == (Review.CLEAR, [])


def test_invitees_sharing_an_ip_are_held() -> None:
    inviter, first, second = member(), newcomer(), newcomer()
    bind(inviter, first, signals=BindSignals(ip_digest="ip-7"))
    bind(inviter, second, signals=BindSignals(ip_digest="ip-7"))
    assert verdict_of(second.pk) == (Review.HELD, ["shared_ip"])


def test_more_invitees_a_day_than_the_cap_are_held(settings: object) -> None:
    settings.INVITE_DAILY_CAP = 2  # type: ignore[attr-defined]
    inviter = member()
    friends = [newcomer() for _ in range(3)]
    for friend in friends:
        bind(inviter, friend)
    assert [verdict_of(friend.pk) for friend in friends] == [
        (Review.CLEAR, []),
        (Review.CLEAR, []),
        (Review.HELD, ["velocity"]),
    ]
    assert points_selectors.points_balance(inviter.pk) == 20


def test_the_velocity_cap_counts_calendar_days_in_the_growth_time_zone(settings: object) -> None:
    settings.INVITE_DAILY_CAP = 1  # type: ignore[attr-defined]
    settings.GROWTH_TIME_ZONE = "Asia/Shanghai"  # type: ignore[attr-defined]
    inviter, first, second = member(), newcomer(), newcomer()
    bind(inviter, first)
    bind(inviter, second)
    # 23:59:59 and 00:00:00 Shanghai time (15:59:59 and 16:00:00 UTC) are two days.
    day = clock.now().replace(hour=15, minute=59, second=59, microsecond=0)
    Invite.objects.filter(invitee=first).update(bound_at=day)
    Invite.objects.filter(invitee=second).update(bound_at=day + timedelta(seconds=1))
    invite = Invite.objects.get(invitee=second)
    context = InviteContext(
        invite_id=invite.pk,
        inviter_id=inviter.pk,
        invitee_id=second.pk,
        milestone=Milestone.REGISTERED,
        bound_at=invite.bound_at,
        signup_ip_digest="",
        signup_browser="",
        signup_device_owner_id=None,
    )
    assert RuleBasedInviteRiskCheck().assess(context) == RiskVerdict.allow()
    Invite.objects.filter(invitee=second).update(bound_at=day - timedelta(seconds=1))
    invite.refresh_from_db()
    held = RuleBasedInviteRiskCheck().assess(dataclasses.replace(context, bound_at=invite.bound_at))
    assert [reason.code for reason in held.reasons] == ["velocity"]


class HoldEverything:
    """A stand-in for the risk app's scoring: holds every reward."""

    def assess(self, context: InviteContext) -> RiskVerdict:
        return RiskVerdict.hold(RiskReason("score", f"score 99 for invite {context.invite_id}"))


class NotACheck:
    pass


def test_the_risk_check_is_chosen_by_setting(settings: object) -> None:
    settings.INVITE_RISK_CHECK = f"{__name__}.HoldEverything"  # type: ignore[attr-defined]
    inviter, invitee = member(), newcomer()
    bind(inviter, invitee)
    row = InviteMilestone.objects.get()
    assert row.review == Review.HELD
    assert row.reasons == [{"code": "score", "detail": f"score 99 for invite {row.invite_id}"}]
    assert points_selectors.points_balance(invitee.pk) == 0


def test_a_broken_risk_check_fails_the_start_up_checks(settings: object) -> None:
    settings.INVITE_RISK_CHECK = f"{__name__}.NotACheck"  # type: ignore[attr-defined]
    settings.INVITE_ATTRIBUTION = "middle"  # type: ignore[attr-defined]
    settings.INVITE_DAILY_CAP = 0  # type: ignore[attr-defined]
    ids = [message.id for message in run_checks() if message.id.startswith("growth.E1")]
    assert ids == ["growth.E101", "growth.E102", "growth.E103"]


def test_the_default_settings_pass_the_start_up_checks() -> None:
    assert [message.id for message in run_checks() if message.id.startswith("growth.E1")] == []
