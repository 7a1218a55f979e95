"""The small accounts reads fraud rules use: contact digests (canonical email, phones of the
account and its addresses, addresses), the login device's owner, the sign-up time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory

from circlemart.accounts import selectors
from circlemart.accounts.signin.device import COOKIE_NAME, device_issue
from circlemart.core import clock
from tests.accounts.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Ann+shop@Example.com", "ann@example.com"),
        ("a.n.n+x@googlemail.com", "ann@gmail.com"),
        ("a.n.n@example.com", "a.n.n@example.com"),
        ("no-at-sign", "no-at-sign"),
    ],
)
def test_canonical_email(raw: str, canonical: str) -> None:
    assert selectors.canonical_email(raw) == canonical


def test_contact_signals_compare_people_without_plaintext() -> None:
    ann = UserFactory.with_phone("+8613800000001", email="ann+1@example.com")
    bob = UserFactory(email="ann@example.com")
    AddressFactory(user=bob, phone="+8613800000001", detail="Road 1")
    AddressFactory(user=ann, phone="+8613800000002", detail="Road  1")
    lonely = UserFactory()

    found = selectors.contact_signals([ann.pk, bob.pk, lonely.pk, 999_999])

    assert set(found) == {ann.pk, bob.pk, lonely.pk}
    assert found[ann.pk].email_digest == found[bob.pk].email_digest != ""
    assert found[ann.pk].phone_digests & found[bob.pk].phone_digests == {ann.phone_digest}
    assert len(found[ann.pk].phone_digests) == 2
    assert found[ann.pk].address_digests == found[bob.pk].address_digests
    assert len(found[ann.pk].address_digests) == 1
    assert found[lonely.pk].phone_digests == frozenset()
    assert "+8613800000001" not in repr(found)


def test_the_login_device_owner_is_read_from_a_valid_cookie_only() -> None:
    owner = UserFactory()
    request = RequestFactory().get("/")
    assert selectors.login_device_owner_id(request) is None
    request.COOKIES[COOKIE_NAME] = device_issue(user_id=owner.pk)
    assert selectors.login_device_owner_id(request) == owner.pk
    request.COOKIES[COOKIE_NAME] = device_issue(user_id=owner.pk) + "x"
    assert selectors.login_device_owner_id(request) is None


def test_user_joined_at_is_none_for_disabled_accounts() -> None:
    joined = clock.now() - timedelta(days=3)
    user = UserFactory(date_joined=joined)
    assert selectors.user_joined_at(user.pk) == joined
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert selectors.user_joined_at(user.pk) is None
