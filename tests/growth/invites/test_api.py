"""Invites API over HTTP: my code and summary, my invitees page by page, binding a code after
sign-up, and every refusal naming `code` with nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from circlemart.accounts.models import User
from circlemart.accounts.services import token_pair_issue
from circlemart.growth.invites import services
from circlemart.growth.invites.contracts import Milestone
from circlemart.growth.invites.models import Invite, InviteMilestone, InviteReward
from circlemart.growth.models import RewardGrant
from tests.growth.invites.conftest import bind, fission_task, member, newcomer, points_rule

pytestmark = pytest.mark.django_db

BASE = "/api/v1/growth/invites"


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_pair_issue(user=user).access_token}"}


def post_bind(client: Client, user: User, code: Any) -> Any:
    return client.post(
        f"{BASE}/bind",
        data=json.dumps({"code": code}),
        content_type="application/json",
        **bearer(user),
    )


def test_my_invite_gives_code_link_poster_and_summary(api_client: Client) -> None:
    points_rule(Milestone.REGISTERED, inviter=10, invitee=100)
    fission_task(friends=3, points=500)
    inviter = member()
    bind(inviter, newcomer())

    body = api_client.get(f"{BASE}/me", **bearer(inviter)).json()

    code = services.invite_code_ensure(user_id=inviter.pk).code
    task_id = body["summary"]["fission"][0]["task_id"]
    assert body == {
        "code": code,
        "link": f"http://testserver/growth/i/{code}/?ch=link",
        "poster_url": f"http://testserver/growth/i/{code}/poster.png",
        "newcomer_rewards": [{"kind": "points", "points": 100, "coupon_name": ""}],
        "summary": {
            "invited": 1,
            "bought": 0,
            "points_earned": 10,
            "coupons_earned": 0,
            "rewards_held": 0,
            "fission": [
                {
                    "task_id": task_id,
                    "title": "3 friends who buy",
                    "required_friends": 3,
                    "friends": 0,
                    "reward": {"kind": "points", "points": 500, "coupon_name": ""},
                    "is_done": False,
                    "ends_at": None,
                }
            ],
        },
    }


def test_my_invitees_are_paged_and_masked(api_client: Client) -> None:
    points_rule(Milestone.REGISTERED, inviter=10)
    inviter = member()
    for name in ("Amy", "Ben", "Cid"):
        bind(inviter, newcomer(nickname=name))

    first = api_client.get(f"{BASE}/me/invitees?limit=2", **bearer(inviter)).json()
    second = api_client.get(
        f"{BASE}/me/invitees?limit=2&cursor={first['next_cursor']}", **bearer(inviter)
    ).json()

    assert [item["masked_name"] for item in first["items"]] == ["C***", "B***"]
    assert [item["masked_name"] for item in second["items"]] == ["A***"]
    assert second["next_cursor"] is None
    item = second["items"][0]
    assert (item["milestones"], item["reward_states"]) == (["registered"], {"registered": "paid"})


def test_someone_elses_invitees_are_not_mine(api_client: Client) -> None:
    bind(member(), newcomer())
    body = api_client.get(f"{BASE}/me/invitees", **bearer(member())).json()
    assert body == {"items": [], "next_cursor": None}


def test_a_bad_cursor_or_limit_is_a_400(api_client: Client) -> None:
    user = member()
    bad = api_client.get(f"{BASE}/me/invitees?cursor=forged", **bearer(user))
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "cursor"
    assert api_client.get(f"{BASE}/me/invitees?limit=0", **bearer(user)).status_code in (400, 422)


def test_binding_by_app_is_a_201(api_client: Client) -> None:
    points_rule(Milestone.REGISTERED, invitee=100)
    inviter, invitee = member(nickname="Ann"), newcomer()
    code = services.invite_code_ensure(user_id=inviter.pk).code

    response = post_bind(api_client, invitee, code.lower())

    assert response.status_code == 201
    invite = Invite.objects.get()
    body = response.json()
    assert body["invite_id"] == invite.pk
    assert body["inviter_name"] == "Ann"
    assert (invite.inviter_id, invite.invitee_id, invite.bound_via) == (
        inviter.pk,
        invitee.pk,
        "app",
    )
    assert InviteReward.objects.get().state == "paid"


def nothing_written() -> None:
    assert Invite.objects.count() == 0
    assert InviteMilestone.objects.count() == 0
    assert RewardGrant.objects.count() == 0


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unknown", 404, "invite_code_unknown"),
        ("own", 400, "self_invite"),
        ("disabled", 404, "invite_code_unknown"),
        ("empty", 400, "required"),
        ("too_old", 409, "bind_window_closed"),
    ],
)
def test_bind_refusals_name_the_code_and_write_nothing(
    api_client: Client, case: str, status: int, code: str
) -> None:
    points_rule(Milestone.REGISTERED, inviter=10, invitee=100)
    inviter = member()
    invitee = member(days_ago=5) if case == "too_old" else newcomer()
    codes = {
        "unknown": "ZZZZ2345",
        "own": services.invite_code_ensure(user_id=invitee.pk).code,
        "disabled": services.invite_code_ensure(user_id=inviter.pk).code,
        "empty": "  ",
        "too_old": services.invite_code_ensure(user_id=inviter.pk).code,
    }
    if case == "disabled":
        User.objects.filter(pk=inviter.pk).update(is_active=False)

    response = post_bind(api_client, invitee, codes[case])

    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, "code")
    nothing_written()


def test_binding_twice_is_a_409(api_client: Client) -> None:
    first, second, invitee = member(), member(), newcomer()
    bind(first, invitee)
    response = post_bind(api_client, invitee, services.invite_code_ensure(user_id=second.pk).code)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "already_bound",
        "message": "Your account is already linked to an inviter.",
        "field": "code",
    }
    assert Invite.objects.count() == 1


@pytest.mark.parametrize("payload", [{}, {"code": 5}, {"code": "A" * 33}, []])
def test_malformed_bodies_are_4xx_not_500(api_client: Client, payload: Any) -> None:
    response = api_client.post(
        f"{BASE}/bind",
        data=json.dumps(payload),
        content_type="application/json",
        **bearer(newcomer()),
    )
    assert 400 <= response.status_code < 500
    assert "error" in response.json()
    assert Invite.objects.count() == 0


def test_the_api_needs_a_sign_in(api_client: Client) -> None:
    assert api_client.get(f"{BASE}/me").status_code == 401
    assert api_client.get(f"{BASE}/me/invitees").status_code == 401
    response = api_client.post(
        f"{BASE}/bind", data=json.dumps({"code": "ABCD2345"}), content_type="application/json"
    )
    assert response.status_code == 401
