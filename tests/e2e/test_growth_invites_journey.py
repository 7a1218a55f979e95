"""Invite journey on a phone: a friend opens an invite link, signs up by email, and the
inviter's "my invites" page shows them (masked) with the registered reward paid."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from circlemart.growth.invites import services
from circlemart.growth.invites.contracts import Milestone
from circlemart.growth.invites.models import Invite
from circlemart.growth.points import selectors as points_selectors
from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.conftest import PHONE, BrowserLog, Screenshot, sign_in
from tests.growth.invites.conftest import points_rule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_friend_joins_through_the_link_and_the_inviter_sees_the_reward(
    open_page: Callable[..., Page], screenshot: Screenshot, browser_log: BrowserLog
) -> None:
    points_rule(Milestone.REGISTERED, inviter=20, invitee=100)
    inviter = UserFactory(nickname="Ann", email="ann@example.com")
    code = services.invite_code_ensure(user_id=inviter.pk).code

    friend = open_page(**PHONE)
    friend.goto(f"/growth/i/{code}/?ch=wechat&utm_source=group")
    expect(friend.get_by_test_id("invite-inviter")).to_contain_text("Ann")
    expect(friend.get_by_test_id("invite-newcomer-rewards")).to_contain_text("100")
    screenshot(friend, "growth-invite-landing-mobile")
    friend.get_by_test_id("invite-signup-email").click()
    friend.get_by_label("邮箱").fill("newfriend@example.com")
    friend.get_by_label("昵称").fill("Newfriend")
    friend.get_by_label("密码").fill(PASSWORD)
    friend.get_by_test_id("signup-form").get_by_role("button", name="注册").click()
    expect(friend.get_by_test_id("nav-profile")).to_be_visible()

    invite = Invite.objects.get()
    assert (invite.inviter_id, invite.first_touch_channel, invite.first_touch_utm) == (
        inviter.pk,
        "wechat",
        {"utm_source": "group"},
    )
    assert points_selectors.points_balance(invite.invitee_id) == 100

    page = open_page(**PHONE)
    sign_in(page, "ann@example.com")
    page.goto("/growth/invites/")
    expect(page.get_by_test_id("invite-code")).to_have_text(code)
    expect(page.get_by_test_id("invite-friend-name")).to_have_text("N***")
    step = page.get_by_test_id("invite-step")
    expect(step).to_have_attribute("data-milestone", "registered")
    expect(step).to_have_attribute("data-state", "paid")
    expect(page.get_by_test_id("invite-points")).to_have_text("20")
    page.get_by_test_id("invite-copy").click()
    expect(page.get_by_test_id("invite-copy")).to_have_text("已复制")
    screenshot(page, "growth-my-invites-mobile")
    assert browser_log.csp_violations() == []
    assert browser_log.problems() == []
