"""Invite pages through the Django client: the landing page remembers the link through sign-up
by email or by phone code (first and last touch), refuses unknown and own codes, the poster,
my invites, and accepting an invitation right after signing up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from circlemart.accounts.models import User
from circlemart.core import clock
from circlemart.growth.invites import services
from circlemart.growth.invites.attribution import BROWSER_COOKIE, INVITE_COOKIE
from circlemart.growth.invites.contracts import Milestone, Review
from circlemart.growth.invites.models import Invite, InviteCode, InviteMilestone
from circlemart.growth.points import selectors as points_selectors
from tests.accounts.factories import PASSWORD
from tests.growth.invites.conftest import bind, member, newcomer, points_rule

pytestmark = pytest.mark.django_db


def landing(code: str) -> str:
    return reverse("growth:invite_landing", args=[code])


def code_of(user: User) -> str:
    return services.invite_code_ensure(user_id=user.pk).code


def sign_up_by_email(client: Client, email: str) -> None:
    response = client.post(
        reverse("accounts:signup"), {"email": email, "password": PASSWORD, "nickname": "Newbie"}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_the_landing_page_shows_the_inviter_and_the_newcomer_reward(client: Client) -> None:
    points_rule(Milestone.REGISTERED, invitee=200)
    inviter = member(nickname="Ann")
    response = client.get(landing(code_of(inviter)) + "?ch=poster&utm_source=wechat")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="invite-inviter"' in html
    assert "Ann" in html
    assert re.search(r'data-testid="invite-newcomer-rewards">\s*<li class="badge">200', html)
    assert INVITE_COOKIE in response.cookies
    assert BROWSER_COOKIE in response.cookies
    assert InviteCode.objects.get(user=inviter).visit_count == 1


def test_email_sign_up_after_the_link_binds_with_first_and_last_touch(client: Client) -> None:
    points_rule(Milestone.REGISTERED, invitee=200)
    first_inviter, second_inviter = member(), member()
    client.get(landing(code_of(first_inviter)) + "?ch=poster&utm_source=wechat")
    client.get(landing(code_of(second_inviter)) + "?ch=link")

    sign_up_by_email(client, "newbie@example.com")

    invitee = User.objects.get(email="newbie@example.com")
    invite = Invite.objects.get()
    # INVITE_ATTRIBUTION is "first": the first link's owner is the inviter.
    assert (invite.inviter_id, invite.invitee_id, invite.bound_via) == (
        first_inviter.pk,
        invitee.pk,
        "web",
    )
    assert (invite.first_touch_code, invite.first_touch_channel, invite.first_touch_utm) == (
        code_of(first_inviter),
        "poster",
        {"utm_source": "wechat"},
    )
    assert (invite.last_touch_code, invite.last_touch_channel) == (code_of(second_inviter), "link")
    assert invite.signup_browser != ""
    assert invite.signup_ip_digest != ""
    assert points_selectors.points_balance(invitee.pk) == 200
    assert client.cookies[INVITE_COOKIE].value == ""  # dropped after binding


def test_last_touch_attribution_binds_the_last_link(client: Client, settings: object) -> None:
    settings.INVITE_ATTRIBUTION = "last"  # type: ignore[attr-defined]
    first_inviter, second_inviter = member(), member()
    client.get(landing(code_of(first_inviter)))
    client.get(landing(code_of(second_inviter)))
    sign_up_by_email(client, "late@example.com")
    assert Invite.objects.get().inviter_id == second_inviter.pk


def test_phone_sign_up_after_the_link_binds(
    client: Client, sent_sms: list[tuple[str, str]]
) -> None:
    inviter = member()
    client.get(landing(code_of(inviter)))
    client.post(reverse("accounts:phone-code"), {"phone": "13800138000"})
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", sent_sms[0][1])[0]
    response = client.post(reverse("accounts:phone-login"), {"phone": "13800138000", "code": code})
    assert response.status_code == 302
    invite = Invite.objects.get()
    assert invite.inviter_id == inviter.pk
    assert User.objects.get(pk=invite.invitee_id).phone == "+8613800138000"
    assert InviteMilestone.objects.get().milestone == Milestone.REGISTERED


def test_signing_in_to_an_old_account_binds_nothing_and_drops_the_cookie(client: Client) -> None:
    inviter, old = member(), member(days_ago=90)
    client.get(landing(code_of(inviter)))
    client.force_login(old)
    response = client.get(reverse("growth:invites"))
    assert response.status_code == 200
    assert Invite.objects.count() == 0
    assert response.cookies[INVITE_COOKIE].value == ""


def test_an_unknown_code_is_a_404_remembering_nothing(client: Client) -> None:
    response = client.get(landing("ZZZZ2345"))
    assert response.status_code == 404
    assert "This invite code does not exist." in response.content.decode()
    assert INVITE_COOKIE not in response.cookies


def test_a_disabled_inviters_code_is_a_404(client: Client) -> None:
    inviter = member()
    code = code_of(inviter)
    User.objects.filter(pk=inviter.pk).update(is_active=False)
    response = client.get(landing(code))
    assert response.status_code == 404
    assert INVITE_COOKIE not in response.cookies


def test_ones_own_link_is_a_400(client: Client) -> None:
    inviter = member()
    client.force_login(inviter)
    response = client.get(landing(code_of(inviter)))
    assert response.status_code == 400
    assert "This is your own invite link" in response.content.decode()
    assert INVITE_COOKIE not in response.cookies
    assert InviteCode.objects.get(user=inviter).visit_count == 0


def test_a_new_signed_in_account_can_accept_an_invitation(client: Client) -> None:
    inviter, fresh = member(nickname="Ann"), newcomer()
    client.force_login(fresh)
    page = client.get(landing(code_of(inviter)))
    assert 'data-testid="invite-accept"' in page.content.decode()
    response = client.post(reverse("growth:invite_accept", args=[code_of(inviter)]))
    assert response.status_code == 302
    assert response["Location"] == reverse("growth:invites")
    assert Invite.objects.get().inviter_id == inviter.pk


def test_accepting_twice_is_refused_with_a_message(client: Client) -> None:
    first, second, fresh = member(), member(), newcomer()
    bind(first, fresh)
    client.force_login(fresh)
    response = client.post(reverse("growth:invite_accept", args=[code_of(second)]), follow=True)
    assert "Your account is already linked to an inviter." in response.content.decode()
    assert list(Invite.objects.values_list("inviter_id", flat=True)) == [first.pk]


def test_an_old_account_sees_no_accept_button(client: Client) -> None:
    inviter, old = member(), member(days_ago=90)
    client.force_login(old)
    html = client.get(landing(code_of(inviter))).content.decode()
    assert 'data-testid="invite-accept"' not in html
    assert 'data-testid="invite-member"' in html


def test_the_poster_is_a_png(client: Client) -> None:
    inviter = member()
    response = client.get(reverse("growth:invite_poster", args=[code_of(inviter)]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(reverse("growth:invite_poster", args=["ZZZZ2345"])).status_code == 404


def test_my_invites_needs_a_sign_in(client: Client) -> None:
    response = client.get(reverse("growth:invites"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_my_invites_shows_code_friends_milestones_and_reward_states(
    client: Client, settings: object
) -> None:
    settings.INVITE_DAILY_CAP = 1  # type: ignore[attr-defined]
    points_rule(Milestone.REGISTERED, inviter=10, invitee=100)
    inviter = member()
    bind(inviter, newcomer(nickname="Bob"))
    bind(inviter, newcomer(nickname="Cat"))  # held: over the cap
    client.force_login(inviter)

    response = client.get(reverse("growth:invites"))

    html = response.content.decode()
    code = code_of(inviter)
    assert f'data-testid="invite-code" translate="no">{code}<' in html
    assert f"http://testserver/growth/i/{code}/?ch=link" in html
    assert f'href="/growth/i/{code}/poster.png"' in html
    assert re.findall(r'data-testid="invite-friend-name">([^<]*)<', html) == ["C***", "B***"]
    steps = re.findall(r'data-milestone="(\w+)" data-state="(\w*)"', html)
    assert steps == [("registered", "held"), ("registered", "paid")]
    assert re.search(r'data-testid="invite-count">2<', html)
    assert re.search(r'data-testid="invite-points">10<', html)
    # Friends' names are masked in what the page shows (a random token in an attribute, such
    # as the CSRF token, may happen to contain "Bob").
    shown = re.sub(r"<[^>]*>", " ", html)
    assert "Bob" not in shown
    assert "Cat" not in shown
    seen = InviteCode.objects.get(user=inviter)
    assert seen.seen_at is not None
    assert seen.seen_browser != ""
    assert InviteMilestone.objects.filter(review=Review.HELD).count() == 1


def test_my_invites_pages_with_htmx(client: Client) -> None:
    inviter = member()
    for _ in range(21):
        bind(inviter, newcomer())
    Invite.objects.update(bound_at=clock.now() - timedelta(minutes=5))
    client.force_login(inviter)
    first = client.get(reverse("growth:invites")).content.decode()
    assert first.count('data-testid="invite-friend"') == 20
    cursor = re.search(r'hx-get="\?cursor=([^"]+)"', first)
    assert cursor is not None
    more = client.get(
        reverse("growth:invites") + "?cursor=" + cursor.group(1), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert more.count('data-testid="invite-friend"') == 1
    assert "<html" not in more
