"""The distributor centre and the link page through the Django client: apply, pending,
approved (earnings, links, orders, withdrawals), form refusals shown on their field, the
link binding a signed-in visitor at once and an anonymous one when they sign in."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client

from circlemart.growth.distribution import services
from circlemart.growth.distribution.contracts import EntryKind
from circlemart.growth.distribution.models import DistributionBinding, Distributor, Withdrawal
from circlemart.growth.distribution.services.ledger import entry_post
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.growth.distribution.conftest import make_distributor

pytestmark = pytest.mark.django_db
CENTRE = "/growth/distribution/"


def signed_in(user_id: int) -> Client:
    from circlemart.accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(pk=user_id))
    return client


def test_the_centre_needs_signing_in() -> None:
    response = Client().get(CENTRE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")


def test_apply_then_wait_for_review() -> None:
    user = UserFactory()
    client = signed_in(user.pk)
    page = client.get(CENTRE)
    assert page.status_code == 200
    assert b'data-testid="distribution-apply"' in page.content
    assert b"never for bringing in other distributors" in page.content
    applied = client.post(f"{CENTRE}apply/", {"upline_code": ""})
    assert applied.status_code == 302
    assert b'data-testid="distribution-pending"' in client.get(CENTRE).content
    refused = signed_in(UserFactory().pk).post(f"{CENTRE}apply/", {"upline_code": "NOPE"})
    assert refused.status_code == 400
    assert b"No distributor has this code." in refused.content
    assert Distributor.objects.count() == 1


def test_an_approved_distributor_sees_earnings_makes_links_and_withdraws() -> None:
    distributor = make_distributor()
    with transaction.atomic():
        entry_post(
            distributor_id=distributor.pk,
            kind=EntryKind.SETTLE,
            idempotency_key="t",
            settled=2500,
        )
    client = signed_in(distributor.user_id)
    page = client.get(CENTRE).content.decode()
    assert re.search(r'data-testid="balance-settled">\D*25\.00<', page)
    assert re.search(r'data-testid="balance-frozen">\D*0\.00<', page)
    assert distributor.code in page
    product = catalog_factories.product()
    made = client.post(f"{CENTRE}links/", {"target": "product", "target_id": product.pk})
    assert made.status_code == 302
    page = client.get(CENTRE).content.decode()
    token = services.link_token(distributor.links.get().pk)
    assert f'value="http://testserver/growth/d/{token}/"' in page
    too_much = client.post(f"{CENTRE}withdraw/", {"amount": "25.01", "idempotency_key": "a"})
    assert too_much.status_code == 400
    assert "This is more than your withdrawable balance." in too_much.content.decode()
    assert not Withdrawal.objects.exists()
    for _twice in range(2):
        done = client.post(f"{CENTRE}withdraw/", {"amount": "20", "idempotency_key": "b"})
        assert done.status_code == 302
    assert list(Withdrawal.objects.values_list("amount", "status")) == [(2000, "requested")]
    csv = client.get(f"{CENTRE}statement.csv")
    assert csv.status_code == 200
    assert b"".join(csv.streaming_content).decode().count("\n") == 3  # header, settle, withdraw


def test_a_bad_link_form_names_the_field() -> None:
    distributor = make_distributor()
    response = signed_in(distributor.user_id).post(
        f"{CENTRE}links/", {"target": "product", "target_id": 424242}
    )
    assert response.status_code == 400
    assert 'data-field="target_id"' in response.content.decode()


def test_a_signed_in_visitor_is_bound_and_sent_to_the_product() -> None:
    distributor = make_distributor()
    product = catalog_factories.product()
    link = services.link_create(user_id=distributor.user_id, target="product", target_id=product.pk)
    buyer = UserFactory()
    response = signed_in(buyer.pk).get(f"/growth/d/{services.link_token(link.pk)}/")
    assert (response.status_code, response["Location"]) == (302, f"/p/{product.pk}/")
    assert DistributionBinding.objects.get(buyer=buyer).distributor_id == distributor.pk


def test_an_anonymous_visitor_is_bound_when_they_sign_in() -> None:
    distributor = make_distributor()
    link = services.link_create(user_id=distributor.user_id, target="shop")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(f"/growth/d/{services.link_token(link.pk)}/")["Location"] == "/"
    assert not DistributionBinding.objects.exists()
    buyer = UserFactory()
    client.force_login(buyer)
    client.get("/")
    assert DistributionBinding.objects.get(buyer=buyer).link_id == link.pk
    assert "growth_distribution_link" not in client.session


def test_a_forged_link_is_a_404() -> None:
    assert Client().get("/growth/d/1.forged/").status_code == 404
