"""Back office: operators tune the earn rules (negative values refused, codes fixed); the
ledger is read-only; shoppers see none of it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.services import role_grant
from circlemart.growth.points.contracts import EarnRuleCode
from circlemart.growth.points.models import PointsEarnRule, PointsEntry
from tests.accounts.factories import UserFactory
from tests.growth.points.conftest import give

pytestmark = pytest.mark.django_db
RULES = "/admin/growth/pointsearnrule/"


@pytest.fixture
def operator() -> Client:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    user = UserFactory()
    role_grant(actor=admin, user=user, role=Role.OPERATOR)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _change(operator: Client, rule: PointsEarnRule, **fields: str) -> object:
    form = {"points": str(rule.points), "daily_cap": str(rule.daily_cap), "is_active": "on"}
    form.update(fields)
    return operator.post(f"{RULES}{rule.pk}/change/", form)


def test_operators_see_the_default_rules_and_change_one(operator: Client) -> None:
    listing = operator.get(RULES)
    assert listing.status_code == 200
    assert PointsEarnRule.objects.count() == len(EarnRuleCode)
    rule = PointsEarnRule.objects.get(code=EarnRuleCode.REVIEW_WITH_PHOTOS)
    saved = _change(operator, rule, points="35", daily_cap="70")
    assert saved.status_code == 302  # type: ignore[attr-defined]
    rule.refresh_from_db()
    assert (rule.points, rule.daily_cap, rule.code) == (35, 70, "review_with_photos")


@pytest.mark.parametrize("field", ["points", "daily_cap"])
def test_negative_rates_and_caps_are_refused_and_nothing_changes(
    operator: Client, field: str
) -> None:
    operator.get(RULES)
    rule = PointsEarnRule.objects.get(code=EarnRuleCode.ORDER_PAID_PER_YUAN)
    answer = _change(operator, rule, **{field: "-1"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert "Ensure this value is greater than or equal to 0." in answer.content.decode()  # type: ignore[attr-defined]
    assert PointsEarnRule.objects.get(pk=rule.pk).points == rule.points
    assert PointsEarnRule.objects.get(pk=rule.pk).daily_cap == rule.daily_cap


def test_rules_cannot_be_added_or_deleted_and_the_ledger_is_read_only(operator: Client) -> None:
    operator.get(RULES)
    rule = PointsEarnRule.objects.first()
    assert rule is not None
    assert operator.get(f"{RULES}add/").status_code == 403
    assert operator.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"}).status_code == 403
    entry = give(UserFactory().pk, 10, "k")
    page = operator.get(f"/admin/growth/pointsentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="amount"' not in page.content.decode()
    assert operator.post(f"/admin/growth/pointsentry/{entry.pk}/change/", {"amount": "99"})
    assert PointsEntry.objects.get(pk=entry.pk).amount == 10
    for model in ("pointsbalance", "pointslot", "pointsorderearning", "pointsdebt"):
        assert operator.get(f"/admin/growth/{model}/").status_code == 200
        assert operator.get(f"/admin/growth/{model}/add/").status_code == 403


def test_shoppers_cannot_open_the_points_back_office() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_staff=False))
    answer = client.get(RULES)
    assert answer.status_code == 302
    assert "/admin/login/" in answer["Location"]
