"""Back office: operators approve applications, edit rates (a third tier or a bad rate is a
form error), cannot set a looping upline, and see commissions and entries read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.growth.distribution import services
from circlemart.growth.distribution.models import CommissionRate, Distributor
from tests.accounts.factories import UserFactory
from tests.growth.distribution.conftest import make_distributor

pytestmark = pytest.mark.django_db


def test_operators_approve_applications_from_the_list(operator_client: Client) -> None:
    pending = services.distributor_apply(user_id=UserFactory().pk)
    response = operator_client.post(
        "/admin/growth/distributor/",
        {"action": "approve", "_selected_action": [pending.pk]},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "approved"


@pytest.mark.parametrize(
    ("tier", "rate", "field"),
    [("3", "100", "tier"), ("1", "-5", "rate_bp"), ("2", "10001", "rate_bp")],
)
def test_a_third_tier_or_a_bad_rate_is_a_form_error(
    operator_client: Client, tier: str, rate: str, field: str
) -> None:
    response = operator_client.post(
        "/admin/growth/commissionrate/add/",
        {"scope": "default", "target_id": "0", "tier": tier, "rate_bp": rate},
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not CommissionRate.objects.exists()


def test_a_good_rate_is_saved(operator_client: Client) -> None:
    response = operator_client.post(
        "/admin/growth/commissionrate/add/",
        {"scope": "default", "target_id": "0", "tier": "1", "rate_bp": "800"},
    )
    assert response.status_code == 302
    assert list(CommissionRate.objects.values_list("tier", "rate_bp")) == [(1, 800)]


def test_a_looping_upline_is_a_form_error(operator_client: Client) -> None:
    a = make_distributor()
    b = make_distributor(upline=a)
    response = operator_client.post(
        f"/admin/growth/distributor/{a.pk}/change/", {"level": "", "upline": str(b.pk)}
    )
    assert response.status_code == 200
    assert "upline" in response.context["adminform"].form.errors
    a.refresh_from_db()
    assert a.upline_id is None


def test_commissions_and_entries_are_read_only(operator_client: Client) -> None:
    assert operator_client.get("/admin/growth/commission/").status_code == 200
    assert operator_client.get("/admin/growth/commissionentry/").status_code == 200
    assert operator_client.get("/admin/growth/withdrawal/").status_code == 200
    assert operator_client.get("/admin/growth/commission/add/").status_code == 403
    assert operator_client.get("/admin/growth/commissionentry/add/").status_code == 403


def test_shoppers_cannot_reach_the_back_office() -> None:
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/admin/growth/distributor/").status_code == 302
    assert Distributor.objects.count() == 0
