"""Distributors: applying is free, an operator reviews, levels; uplines never loop; links and
the binding rule (first distributor keeps the buyer for DISTRIBUTION_BINDING_DAYS)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.growth.distribution import services
from circlemart.growth.distribution.models import (
    CommissionAccount,
    CommissionEntry,
    DistributionBinding,
    Distributor,
    PromotionLink,
)
from circlemart.growth.models import RewardGrant
from circlemart.growth.points.models import PointsEntry
from circlemart.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog_factories
from tests.growth.distribution.conftest import bind, level, make_distributor

pytestmark = pytest.mark.django_db


def test_applying_is_free_and_waits_for_an_operator(operator) -> None:
    user = UserFactory()
    applied = services.distributor_apply(user_id=user.pk)
    assert (applied.status, applied.upline_id) == ("pending", None)
    assert len(applied.code) == 8
    with pytest.raises(Conflict) as again:
        services.distributor_apply(user_id=user.pk)
    assert (again.value.code, again.value.field) == ("already_applied", "user")
    assert Distributor.objects.count() == 1
    bronze = level(1, "Bronze")
    approved = services.distributor_review(
        operator_id=operator.pk, distributor_id=applied.pk, approve=True
    )
    assert (approved.status, approved.level_id, approved.reviewed_by_id) == (
        "approved",
        bronze.pk,
        operator.pk,
    )
    account = CommissionAccount.objects.get(distributor=approved)
    assert (account.frozen, account.settled, account.withdrawing, account.withdrawn) == (0, 0, 0, 0)
    note = Notification.objects.get(recipient=user)
    assert (note.kind, note.target_type, note.target_id) == (
        "distributor_reviewed",
        "growth",
        applied.pk,
    )


def test_a_rejected_applicant_is_told_and_may_apply_again(operator) -> None:
    user = UserFactory()
    applied = services.distributor_apply(user_id=user.pk)
    services.distributor_review(
        operator_id=operator.pk, distributor_id=applied.pk, approve=False, note="No shop yet"
    )
    assert Notification.objects.get(recipient=user).excerpt == "Not approved: No shop yet"
    assert not CommissionAccount.objects.exists()
    again = services.distributor_apply(user_id=user.pk)
    assert (again.pk, again.status, again.review_note) == (applied.pk, "pending", "")


def test_only_operators_review_and_only_pending_applications() -> None:
    user = UserFactory()
    applied = services.distributor_apply(user_id=user.pk)
    with pytest.raises(PermissionDenied):
        services.distributor_review(operator_id=user.pk, distributor_id=applied.pk, approve=True)
    applied.refresh_from_db()
    assert applied.status == "pending"
    approved = make_distributor()
    with pytest.raises(Conflict) as twice:
        services.distributor_review(
            operator_id=approved.reviewed_by_id, distributor_id=approved.pk, approve=False
        )
    assert twice.value.code == "not_pending"


def test_recruiting_alone_pays_nobody_anything() -> None:
    top = make_distributor()
    for _ in range(3):
        recruit = UserFactory()
        applied = services.distributor_apply(user_id=recruit.pk, upline_code=top.code)
        services.distributor_review(
            operator_id=top.reviewed_by_id, distributor_id=applied.pk, approve=True
        )
    assert Distributor.objects.filter(upline=top, status="approved").count() == 3
    assert CommissionEntry.objects.count() == 0
    assert RewardGrant.objects.count() == 0
    assert PointsEntry.objects.count() == 0
    assert CommissionAccount.objects.get(distributor=top).settled == 0


def test_the_recruiter_code_sets_the_upline_and_an_unknown_one_is_refused() -> None:
    top = make_distributor()
    user = UserFactory()
    with pytest.raises(ValidationFailed) as unknown:
        services.distributor_apply(user_id=user.pk, upline_code="NOPE1234")
    assert (unknown.value.code, unknown.value.field) == ("upline_unknown", "upline_code")
    assert not Distributor.objects.filter(user=user).exists()
    applied = services.distributor_apply(user_id=user.pk, upline_code=top.code.lower())
    assert applied.upline_id == top.pk


def test_a_buyer_bound_to_a_distributor_is_recruited_by_them_when_applying() -> None:
    top = make_distributor()
    user = UserFactory()
    bind(user, top)
    assert services.distributor_apply(user_id=user.pk).upline_id == top.pk


def test_an_upline_that_closes_a_loop_is_refused_and_nothing_changes(operator) -> None:
    a = make_distributor()
    b = make_distributor(upline=a)
    c = make_distributor(upline=b)
    for bottom, top in ((a, b), (a, c), (b, c), (a, a)):
        with pytest.raises(ValidationFailed) as loop:
            services.distributor_upline_set(
                operator_id=operator.pk, distributor_id=bottom.pk, upline_id=top.pk
            )
        assert (loop.value.code, loop.value.field) == ("upline_loop", "upline")
    assert dict(Distributor.objects.values_list("pk", "upline_id")) == {
        a.pk: None,
        b.pk: a.pk,
        c.pk: b.pk,
    }
    # Moving c under a is fine (no loop), and so is clearing an upline.
    services.distributor_upline_set(operator_id=operator.pk, distributor_id=c.pk, upline_id=a.pk)
    services.distributor_upline_set(operator_id=operator.pk, distributor_id=b.pk, upline_id=None)
    assert dict(Distributor.objects.values_list("pk", "upline_id")) == {
        a.pk: None,
        b.pk: None,
        c.pk: a.pk,
    }


def test_a_re_application_naming_ones_own_recruit_is_refused(operator) -> None:
    a = make_distributor()
    b = make_distributor(upline=a)
    Distributor.objects.filter(pk=a.pk).update(status="rejected")
    with pytest.raises(ValidationFailed) as loop:
        services.distributor_apply(user_id=a.user_id, upline_code=b.code)
    assert loop.value.code == "upline_loop"
    a.refresh_from_db()
    assert (a.status, a.upline_id) == ("rejected", None)


def test_links_for_a_product_a_category_and_the_shop() -> None:
    distributor = make_distributor()
    product = catalog_factories.product()
    shop = services.link_create(user_id=distributor.user_id, target="shop")
    by_product = services.link_create(
        user_id=distributor.user_id, target="product", target_id=product.pk
    )
    by_category = services.link_create(
        user_id=distributor.user_id, target="category", target_id=product.category_id
    )
    again = services.link_create(
        user_id=distributor.user_id, target="product", target_id=product.pk
    )
    assert again.pk == by_product.pk
    assert PromotionLink.objects.count() == 3
    assert [(link.target, link.target_id) for link in (shop, by_product, by_category)] == [
        ("shop", 0),
        ("product", product.pk),
        ("category", product.category_id),
    ]


@pytest.mark.parametrize(
    ("target", "target_id", "field"),
    [
        ("brand", 1, "target"),
        ("product", 999_999, "target_id"),
        ("category", 0, "target_id"),
        ("shop", 5, "target_id"),
    ],
)
def test_a_bad_link_target_is_refused_naming_the_field(target, target_id, field) -> None:
    distributor = make_distributor()
    with pytest.raises(ValidationFailed) as refused:
        services.link_create(user_id=distributor.user_id, target=target, target_id=target_id)
    assert (refused.value.code, refused.value.field) == ("invalid_target", field)
    assert not PromotionLink.objects.exists()


def test_only_approved_distributors_make_links() -> None:
    user = UserFactory()
    services.distributor_apply(user_id=user.pk)
    with pytest.raises(PermissionDenied) as refused:
        services.link_create(user_id=user.pk, target="shop")
    assert refused.value.code == "not_a_distributor"
    assert not PromotionLink.objects.exists()


def test_a_tampered_token_is_not_a_link() -> None:
    distributor = make_distributor()
    link = services.link_create(user_id=distributor.user_id, target="shop")
    token = services.link_token(link.pk)
    forged = services.link_token(link.pk).replace(token.split(".")[0], format(link.pk + 1, "x"))
    for bad in (forged, token + "x", "", "1.abc"):
        with pytest.raises(NotFound):
            services.link_open(token=bad, visitor_id=None)
    assert PromotionLink.objects.get().visits == 0


def test_the_first_distributor_keeps_the_buyer_until_the_binding_runs_out(
    settings, monkeypatch
) -> None:
    settings.DISTRIBUTION_BINDING_DAYS = 7
    first, second = make_distributor(), make_distributor()
    buyer = UserFactory()
    bind(buyer, first)
    later_link = services.link_create(user_id=second.user_id, target="shop")
    opened = services.link_open(token=services.link_token(later_link.pk), visitor_id=buyer.pk)
    assert not opened.bound
    binding = DistributionBinding.objects.get(buyer=buyer)
    assert binding.distributor_id == first.pk
    assert binding.expires_at - binding.bound_at == timedelta(days=7)
    later = binding.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert services.link_open(token=services.link_token(later_link.pk), visitor_id=buyer.pk).bound
    rebound = DistributionBinding.objects.get(buyer=buyer)
    assert (rebound.distributor_id, rebound.bound_at) == (second.pk, later)
    assert DistributionBinding.objects.count() == 1
    assert PromotionLink.objects.get(pk=later_link.pk).visits == 2


def test_a_distributor_opening_their_own_link_is_neither_counted_nor_bound() -> None:
    distributor = make_distributor()
    link = services.link_create(user_id=distributor.user_id, target="shop")
    assert not services.link_open(
        token=services.link_token(link.pk), visitor_id=distributor.user_id
    ).bound
    assert not DistributionBinding.objects.exists()
    assert PromotionLink.objects.get().visits == 0
