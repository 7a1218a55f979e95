"""The order state machine (PRODUCT.md §3): which moves are legal, and the one function that
makes a move — a conditional UPDATE on the current status plus a transition row."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import Conflict
from circlemart.orders.contracts import OrderStatus as S
from circlemart.orders.models import STATUS_CHOICES, Order, OrderTransition

ALLOWED: dict[S, frozenset[S]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.REFUNDING}),
    S.SHIPPED: frozenset({S.DELIVERED, S.REFUNDING}),
    S.DELIVERED: frozenset({S.COMPLETED, S.REFUNDING}),
    S.COMPLETED: frozenset({S.REFUNDING, S.CLOSED}),
    # A partial refund returns the order to where it was; a full one ends it.
    S.REFUNDING: frozenset({S.REFUNDED, S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED}),
    S.REFUNDED: frozenset(),
    S.CANCELLED: frozenset(),
    S.CLOSED: frozenset(),
}
TIMESTAMPS = {
    S.PAID: "paid_at",
    S.SHIPPED: "shipped_at",
    S.DELIVERED: "delivered_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
    S.CLOSED: "closed_at",
}
LABELS = dict(STATUS_CHOICES)


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    kind: str  # buyer | staff | system | payment

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, kind="system")


def label(status: str) -> str:
    return str(LABELS.get(status, status))


def is_allowed(current: str, target: str) -> bool:
    return S(target) in ALLOWED[S(current)]


def move(order: Order, to: S, *, actor: Actor, reason: str = "", **fields: object) -> Order:
    """Move `order` to `to`, or refuse with a 409 that says why. Call inside a transaction."""
    current = S(order.status)
    if to not in ALLOWED[current]:
        raise Conflict(
            _("An order that is “%(current)s” cannot become “%(target)s”.")
            % {"current": label(current), "target": label(to)},
            code="illegal_transition",
            field="status",
            extra={"status": current.value, "target": to.value},
        )
    now = clock.now()
    updates: dict[str, object] = {"status": to.value, "updated_at": now, **fields}
    if to in TIMESTAMPS:
        updates[TIMESTAMPS[to]] = now
    if not Order.objects.filter(pk=order.pk, status=current.value).update(**updates):
        raise Conflict(
            _("This order changed a moment ago; reload it and try again."),
            code="order_changed",
            field="status",
        )
    OrderTransition.objects.create(
        order=order,
        from_status=current.value,
        to_status=to.value,
        actor_id=actor.user_id,
        actor_kind=actor.kind,
        reason=reason[:200],
        at=now,
    )
    for name, value in updates.items():
        setattr(order, name, value)
    return order
