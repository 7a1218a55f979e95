"""After-sales: each legal move, each illegal one refused, refunds through the provider."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from circlemart.accounts import roles
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders import aftersales, services
from circlemart.orders.models import AfterSalesRequest, Order
from circlemart.payments import gateway
from circlemart.payments import selectors as payment_selectors
from tests.accounts.factories import UserFactory
from tests.orders.conftest import make_buyer, make_sku, place

pytestmark = pytest.mark.django_db

Pay = Callable[..., Order]
Act = Callable[..., object]


def make_staff() -> User:
    from django.contrib.auth.models import Group

    roles.sync_roles()
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=Role.MERCHANT_STAFF.value))
    return User.objects.get(pk=staff.pk)  # fresh permission cache


def _shipped(pay: Pay, *, quantity: int = 2, stock: int = 5) -> tuple[User, User, Order, int]:
    buyer, address = make_buyer()
    staff = make_staff()
    sku = make_sku(price=5000, stock=stock)
    order = pay(place(buyer, address, sku, quantity=quantity))
    services.order_ship(staff_id=staff.pk, number=order.number, carrier="SF", tracking_number="SF1")
    order.refresh_from_db()
    return buyer, staff, order, sku


def test_refund_only_on_a_paid_order_refunds_everything_including_shipping(
    pay: Pay, act: Act
) -> None:
    buyer, address = make_buyer()
    staff = make_staff()
    sku = make_sku(price=3000, stock=3)
    order = pay(place(buyer, address, sku))
    assert order.total == 3800
    request = aftersales.aftersales_request(
        buyer_id=buyer.pk, number=order.number, kind="refund_only", reason="changed_mind"
    )
    assert request.amount == 3800
    act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=request.pk)
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.status == "refunded"
    assert (order.status, order.refunded_amount) == ("refunded", 3800)
    assert payment_selectors.refunded_total(order.number) == 3800
    assert inventory_selectors.stock_of(sku) == (2, 0)  # refund only: nothing comes back
    assert OutboxEvent.objects.filter(event_type="payments.RefundSucceeded").count() == 1


def test_partial_return_with_restock_resumes_the_order(pay: Pay, act: Act) -> None:
    buyer, staff, order, sku = _shipped(pay)
    line = order.lines.get()
    request = aftersales.aftersales_request(
        buyer_id=buyer.pk,
        number=order.number,
        kind="return_refund",
        reason="damaged",
        lines={line.pk: 1},
    )
    assert request.amount == 5000
    act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=request.pk, amount=4000)
    request.refresh_from_db()
    assert request.status == "awaiting_return"
    aftersales.aftersales_ship_return(
        buyer_id=buyer.pk, request_id=request.pk, carrier="SF", tracking_number="R1"
    )
    act(aftersales.aftersales_receive_return, staff_id=staff.pk, request_id=request.pk)
    request.refresh_from_db()
    order.refresh_from_db()
    line.refresh_from_db()
    assert request.status == "refunded"
    assert (order.status, order.refunded_amount) == ("shipped", 4000)
    assert (line.refunded_quantity, line.refunded_amount) == (1, 4000)
    assert inventory_selectors.stock_of(sku) == (4, 0)  # 5 − 2 sold + 1 back


def test_reject_escalate_and_operator_close(pay: Pay) -> None:
    buyer, staff, order, _sku = _shipped(pay)
    request = aftersales.aftersales_request(
        buyer_id=buyer.pk, number=order.number, kind="refund_only", reason="other"
    )
    with pytest.raises(ValidationFailed):
        aftersales.aftersales_reject(staff_id=staff.pk, request_id=request.pk, reason=" ")
    aftersales.aftersales_reject(staff_id=staff.pk, request_id=request.pk, reason="已签收")
    aftersales.aftersales_escalate(buyer_id=buyer.pk, request_id=request.pk, reason="没收到")
    aftersales.aftersales_reject(staff_id=staff.pk, request_id=request.pk, reason="物流显示签收")
    request.refresh_from_db()
    assert request.status == "closed"
    assert list(request.transitions.values_list("to_status", flat=True)) == [
        "requested",
        "rejected",
        "escalated",
        "closed",
    ]


def test_failed_provider_refund_reopens_and_can_be_retried(pay: Pay, act: Act) -> None:
    buyer, address = make_buyer()
    staff = make_staff()
    order = pay(place(buyer, address, make_sku()))
    charge_id = payment_selectors.payments_for_order(order.number)[0]
    payment = charge_id
    from circlemart.payments.models import Payment

    provider_id = Payment.objects.get(pk=payment.id).provider_payment_id
    gateway.charge_set_behaviour(
        charge_id=provider_id, behaviour=gateway.Behaviour(fail_refunds=True)
    )
    request = aftersales.aftersales_request(
        buyer_id=buyer.pk, number=order.number, kind="refund_only", reason="changed_mind"
    )
    act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=request.pk)
    request.refresh_from_db()
    order.refresh_from_db()
    assert (request.status, order.status, order.refunded_amount) == ("approved", "paid", 0)
    gateway.charge_set_behaviour(
        charge_id=provider_id, behaviour=gateway.Behaviour(fail_refunds=False)
    )
    act(aftersales.aftersales_retry_refund, staff_id=staff.pk, request_id=request.pk)
    request.refresh_from_db()
    order.refresh_from_db()
    assert (request.status, order.status) == ("refunded", "refunded")
    assert payment_selectors.refunded_total(order.number) == order.total


def test_illegal_moves_are_refused_and_change_nothing(pay: Pay, act: Act) -> None:
    buyer, staff, order, _sku = _shipped(pay)
    request = aftersales.aftersales_request(
        buyer_id=buyer.pk, number=order.number, kind="refund_only", reason="other"
    )
    with pytest.raises(Conflict) as escalate_early:
        aftersales.aftersales_escalate(buyer_id=buyer.pk, request_id=request.pk, reason="x")
    assert escalate_early.value.code == "illegal_transition"
    with pytest.raises(Conflict):
        aftersales.aftersales_ship_return(
            buyer_id=buyer.pk, request_id=request.pk, carrier="SF", tracking_number="1"
        )
    with pytest.raises(Conflict) as second_open:
        aftersales.aftersales_request(
            buyer_id=buyer.pk, number=order.number, kind="refund_only", reason="other"
        )
    assert second_open.value.code == "aftersales_open"
    with pytest.raises(PermissionDenied):
        act(aftersales.aftersales_approve, staff_id=buyer.pk, request_id=request.pk)
    with pytest.raises(NotFound):
        aftersales.aftersales_cancel(buyer_id=UserFactory().pk, request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "requested"
    aftersales.aftersales_cancel(buyer_id=buyer.pk, request_id=request.pk)
    with pytest.raises(Conflict):
        act(aftersales.aftersales_approve, staff_id=staff.pk, request_id=request.pk)


def test_bad_requests_name_the_field(pay: Pay) -> None:
    buyer, address = make_buyer()
    unpaid = place(buyer, address, make_sku())
    with pytest.raises(Conflict) as not_paid:
        aftersales.aftersales_request(
            buyer_id=buyer.pk, number=unpaid.number, kind="refund_only", reason="other"
        )
    assert not_paid.value.code == "not_refundable"
    paid = pay(place(buyer, address, make_sku()))
    with pytest.raises(Conflict) as not_shipped:
        aftersales.aftersales_request(
            buyer_id=buyer.pk, number=paid.number, kind="return_refund", reason="other"
        )
    assert not_shipped.value.field == "kind"
    for field, kwargs in [
        ("kind", {"kind": "steal", "reason": "other"}),
        ("reason", {"kind": "refund_only", "reason": "bored"}),
        ("amount", {"kind": "refund_only", "reason": "other", "amount": 10**9}),
        ("amount", {"kind": "refund_only", "reason": "other", "amount": 0}),
        ("lines", {"kind": "refund_only", "reason": "other", "lines": {999999: 1}}),
    ]:
        with pytest.raises((ValidationFailed, NotFound)) as refused:
            aftersales.aftersales_request(buyer_id=buyer.pk, number=paid.number, **kwargs)
        assert refused.value.field == field
    assert AfterSalesRequest.objects.count() == 0
