"""Group-buy writes: opening and joining (through orders.order_place, so a group order is an
ordinary order at the group price, held from shipping), taking a seat inside the order's
transaction, settling when members pay or leave, and the deadline sweep.

The life of a group:
  pending    the leader's order is placed, not paid; nobody else can join yet
  open       the leader paid; the deadline is `time_limit_minutes` from then
  succeeded  `size` members paid (or, with auto-fill, the deadline passed with the leader paid):
             every member's order is released to ship (GroupSucceeded)
  failed     the deadline passed short: unpaid members' orders are cancelled, every paid member
             is refunded in full through the payment provider, exactly once (GroupFailed)
  cancelled  the leader's order was cancelled unpaid

Seats: `seats_taken` counts held and paid members. A join takes a seat with one conditional
UPDATE (`status = open AND seats_taken < size AND expires_at > now`), so parallel joins can
never overfill a group; a member whose order is cancelled unpaid gives the seat back.
Lock order everywhere: member row, then group row, then order row."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock, ratelimit
from circlemart.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from circlemart.core.events import publish
from circlemart.orders import selectors as order_selectors
from circlemart.orders import services as orders
from circlemart.orders.contracts import OrderStatus
from circlemart.pricing.contracts import PlacedOrder, QuoteItem
from circlemart.pricing.services import MAX_QUANTITY, check_quantity
from circlemart.promotions import events
from circlemart.promotions.flash.contracts import FLASH_OPTION
from circlemart.promotions.group import errors as codes
from circlemart.promotions.group.contracts import GROUP_DEAL_OPTION, GROUP_OPTION, GroupOrderRef
from circlemart.promotions.group.models import Group, GroupDeal, GroupMember
from circlemart.promotions.options import option_id

logger = logging.getLogger(__name__)

G = Group.Status
M = GroupMember.Status
HOLD = orders.HOLD_GROUP_BUY
PLACE_RATE = (20, 60)  # group orders per user per minute: each one is a checkout


# --- refusals ----------------------------------------------------------------------------------


def refusal(code: str, *, deal: GroupDeal | None = None) -> DomainError:
    if code == codes.GROUP_DEAL_NOT_STARTED:
        return Conflict(
            _("This group buy has not started yet."),
            code=code,
            field="deal_id",
            extra={"starts_at": deal.starts_at.isoformat()} if deal else None,
        )
    if code == codes.GROUP_DEAL_ENDED:
        return Conflict(
            _("This group buy has ended; no new groups can open."), code=code, field="deal_id"
        )
    if code == codes.GROUP_NOT_FOUND:
        return NotFound(_("This group does not exist."), code=code, field="group_id")
    if code == codes.GROUP_NOT_OPEN:
        return Conflict(
            _("This group is not open for joining (its leader has not paid, or it has ended)."),
            code=code,
            field="group_id",
        )
    if code == codes.GROUP_FULL:
        return Conflict(
            _("This group is full. Open a new group or join another one."),
            code=code,
            field="group_id",
        )
    if code == codes.GROUP_EXPIRED:
        return Conflict(
            _("Time is up for this group. Open a new group or join another one."),
            code=code,
            field="group_id",
        )
    if code == codes.GROUP_ALREADY_MEMBER:
        return Conflict(_("You are already in this group."), code=code, field="group_id")
    if code == codes.GROUP_WRONG_ITEM:
        return ValidationFailed(
            _("A group-buy order holds the deal's item only."), code=code, field="items"
        )
    if code == codes.GROUP_OPTIONS_CONFLICT:
        return ValidationFailed(
            _("A group-buy order cannot also be a flash-sale order."), code=code, field="options"
        )
    return NotFound(
        _("This group buy does not exist."), code=codes.GROUP_DEAL_NOT_FOUND, field="deal_id"
    )


@dataclass(frozen=True)
class GroupChoice:
    """What a checkout's options ask for: a new group of `deal`, or a seat in `group`."""

    deal: GroupDeal
    group: Group | None

    @property
    def is_leader(self) -> bool:
        return self.group is None

    def unit_price(self) -> int:
        if self.is_leader and self.deal.leader_price:
            return self.deal.leader_price
        return self.deal.group_price


def group_choice_of(options: dict[str, Any]) -> GroupChoice | None:
    deal_id = option_id(
        options, GROUP_DEAL_OPTION, invalid=lambda: refusal(codes.GROUP_DEAL_NOT_FOUND)
    )
    group_id = option_id(options, GROUP_OPTION, invalid=lambda: refusal(codes.GROUP_NOT_FOUND))
    if deal_id is None and group_id is None:
        return None
    if options.get(FLASH_OPTION) not in (None, ""):
        raise refusal(codes.GROUP_OPTIONS_CONFLICT)
    if group_id is not None:
        group = Group.objects.select_related("deal").filter(pk=group_id).first()
        if group is None or not group.deal.is_active:
            raise refusal(codes.GROUP_NOT_FOUND)
        return GroupChoice(deal=group.deal, group=group)
    assert deal_id is not None
    deal = GroupDeal.objects.filter(pk=deal_id, is_active=True).first()
    if deal is None:
        raise refusal(codes.GROUP_DEAL_NOT_FOUND)
    return GroupChoice(deal=deal, group=None)


def check_deal_live(deal: GroupDeal, now: datetime) -> None:
    if now < deal.starts_at:
        raise refusal(codes.GROUP_DEAL_NOT_STARTED, deal=deal)
    if now >= deal.ends_at:
        raise refusal(codes.GROUP_DEAL_ENDED, deal=deal)


def check_joinable(group: Group, *, buyer_id: int | None, now: datetime) -> None:
    """The cheap read before any order is written; the seat UPDATE decides for real."""
    if group.status == G.SUCCEEDED or (group.status == G.OPEN and group.seats_taken >= group.size):
        raise refusal(codes.GROUP_FULL)
    if group.status == G.FAILED or (
        group.status == G.OPEN and group.expires_at is not None and group.expires_at <= now
    ):
        raise refusal(codes.GROUP_EXPIRED)
    if group.status != G.OPEN:
        raise refusal(codes.GROUP_NOT_OPEN)
    if (
        buyer_id is not None
        and GroupMember.objects.filter(group_id=group.pk, user_id=buyer_id)
        .exclude(status=M.RELEASED)
        .exists()
    ):
        raise refusal(codes.GROUP_ALREADY_MEMBER)


def check_choice(choice: GroupChoice, *, buyer_id: int | None, now: datetime) -> None:
    if choice.group is None:
        check_deal_live(choice.deal, now)
    else:
        check_joinable(choice.group, buyer_id=buyer_id, now=now)


# --- inside the order's transaction (pricing commit hook) -------------------------------------


def _refuse_seat(group_id: int, now: datetime) -> DomainError:
    group = Group.objects.get(pk=group_id)
    try:
        check_joinable(group, buyer_id=None, now=now)
    except DomainError as refused:
        return refused
    return refusal(codes.GROUP_FULL)


def _take_seat(group: Group, now: datetime) -> None:
    if not Group.objects.filter(
        pk=group.pk, status=G.OPEN, seats_taken__lt=F("size"), expires_at__gt=now
    ).update(seats_taken=F("seats_taken") + 1):
        raise _refuse_seat(group.pk, now)


def group_seat_take(placed: PlacedOrder) -> None:
    """The commit hook: a leader's order makes a pending group, a joiner's order takes a seat.
    Any refusal raises and the whole order rolls back. The order is held from shipping until
    its group succeeds."""
    choice = group_choice_of(placed.options)
    if choice is None:
        return
    now = clock.now()
    check_choice(choice, buyer_id=None, now=now)
    lines = placed.quote.lines
    if len(lines) != 1 or lines[0].sku_id != choice.deal.sku_id:
        raise refusal(codes.GROUP_WRONG_ITEM)
    line = lines[0]
    if choice.group is None:
        group = Group.objects.create(
            deal=choice.deal,
            leader_id=placed.buyer_id,
            status=G.PENDING,
            size=choice.deal.group_size,
            seats_taken=1,
            created_at=now,
        )
        role = GroupMember.Role.LEADER
    else:
        group = choice.group
        _take_seat(group, now)
        role = GroupMember.Role.MEMBER
    try:
        with transaction.atomic():
            GroupMember.objects.create(
                group=group,
                user_id=placed.buyer_id,
                role=role,
                order_number=placed.order_number,
                quantity=line.quantity,
                unit_price=line.unit_price,
                status=M.HELD,
                joined_at=now,
            )
    except IntegrityError:
        raise refusal(codes.GROUP_ALREADY_MEMBER) from None
    orders.order_fulfilment_hold(number=placed.order_number, hold=HOLD)


# --- opening and joining ---------------------------------------------------------------------


def service_key(*, buyer_id: int, target: str, idempotency_key: str) -> str:
    """The order's idempotency key for one (buyer, deal or group, client key)."""
    if not idempotency_key:
        return ""
    digest = hashlib.sha256(f"{buyer_id}:{target}:{idempotency_key}".encode()).hexdigest()
    return f"group:{digest[:40]}"


def _place(
    *,
    buyer_id: int,
    choice: GroupChoice,
    options: dict[str, Any],
    quantity: int,
    address_id: int | None,
    key: str,
    return_url: str,
) -> GroupOrderRef:
    check_quantity(quantity, limit=choice.deal.max_quantity)
    ratelimit.hit(f"group-order:{buyer_id}", limit=PLACE_RATE[0], window=PLACE_RATE[1])
    order = orders.order_place(
        buyer_id=buyer_id,
        data=orders.CheckoutInput(
            items=[QuoteItem(sku_id=choice.deal.sku_id, quantity=quantity)],
            address_id=address_id,
            source="buy_now",
            idempotency_key=key,
            options=options,
        ),
    )
    member = GroupMember.objects.get(order_number=order.number)
    payment_url = ""
    if return_url and order.status == OrderStatus.PENDING_PAYMENT:
        payment_url = orders.order_pay_link(
            buyer_id=buyer_id,
            number=order.number,
            return_url=return_url.replace("{number}", order.number),
        )
    return GroupOrderRef(
        order_number=order.number,
        group_id=member.group_id,
        role=member.role,
        quantity=member.quantity,
        unit_price=member.unit_price,
        total=order.total,
        currency=order.currency,
        payment_deadline=order.payment_deadline,
        payment_url=payment_url,
    )


def group_open(
    *,
    buyer_id: int,
    deal_id: int,
    quantity: int = 1,
    address_id: int | None,
    idempotency_key: str = "",
    return_url: str = "",
) -> GroupOrderRef:
    """Open a group as its leader: one order at the leader's (or group) price. The group opens
    for others once this order is paid. With `return_url` ("{number}" stands for the order
    number) the answer carries the payment page."""
    check_quantity(quantity, limit=MAX_QUANTITY)
    choice = group_choice_of({GROUP_DEAL_OPTION: deal_id})
    assert choice is not None
    check_deal_live(choice.deal, clock.now())
    return _place(
        buyer_id=buyer_id,
        choice=choice,
        options={GROUP_DEAL_OPTION: deal_id},
        quantity=quantity,
        address_id=address_id,
        key=service_key(
            buyer_id=buyer_id, target=f"deal:{deal_id}", idempotency_key=idempotency_key
        ),
        return_url=return_url,
    )


def group_join(
    *,
    buyer_id: int,
    group_id: int,
    quantity: int = 1,
    address_id: int | None,
    idempotency_key: str = "",
    return_url: str = "",
) -> GroupOrderRef:
    """Join an open group: one order at the group price, counted when paid. Refusals: unknown
    (404 group_not_found), full (409 group_full), past its deadline (409 group_expired), not
    open yet or over (409 group_not_open), already a member (409 group_already_member)."""
    check_quantity(quantity, limit=MAX_QUANTITY)
    key = service_key(
        buyer_id=buyer_id, target=f"group:{group_id}", idempotency_key=idempotency_key
    )
    choice = group_choice_of({GROUP_OPTION: group_id})
    assert choice is not None
    assert choice.group is not None
    is_member = (
        GroupMember.objects.filter(group_id=group_id, user_id=buyer_id)
        .exclude(status=M.RELEASED)
        .exists()
    )
    # A repeated click with the same key is the same order, so a member with a key goes on to
    # checkout (its idempotency answers with that order, or the seat hook refuses a new one).
    if not (key and is_member):
        check_joinable(choice.group, buyer_id=buyer_id, now=clock.now())
    return _place(
        buyer_id=buyer_id,
        choice=choice,
        options={GROUP_OPTION: group_id},
        quantity=quantity,
        address_id=address_id,
        key=key,
        return_url=return_url,
    )


# --- settling (handlers call these; idempotent) -------------------------------------------------


def _locked_member(order_number: str) -> GroupMember | None:
    return GroupMember.objects.select_for_update().filter(order_number=order_number).first()


def _locked_group(group_id: int) -> Group:
    return Group.objects.select_for_update().select_related("deal").get(pk=group_id)


def _paid_members(group_id: int) -> list[GroupMember]:
    return list(GroupMember.objects.filter(group_id=group_id, status=M.PAID).order_by("pk"))


def _succeed(group: Group, *, now: datetime, filled_by_system: int = 0) -> None:
    Group.objects.filter(pk=group.pk).update(
        status=G.SUCCEEDED, finished_at=now, filled_by_system=filled_by_system
    )
    members = _paid_members(group.pk)
    for member in members:
        orders.order_fulfilment_release(number=member.order_number, hold=HOLD)
    publish(
        events.GroupSucceeded(
            group_id=group.pk,
            deal_id=group.deal_id,
            leader_id=group.leader_id,
            size=group.size,
            member_ids=[member.user_id for member in members],
            order_numbers=[member.order_number for member in members],
            filled_by_system=filled_by_system,
        )
    )


def group_member_paid(*, order_number: str, paid_at: datetime) -> str:
    """The member's order was paid. The leader's payment opens the group; a member's counts
    when it came before the deadline, and the last seat's payment makes the group succeed. A
    payment for a group that is over is refunded at once. Returns what happened."""
    with transaction.atomic():
        member = _locked_member(order_number)
        if member is None or member.status != M.HELD:
            return "ignored"
        group = _locked_group(member.group_id)
        now = clock.now()
        GroupMember.objects.filter(pk=member.pk).update(status=M.PAID, paid_at=paid_at)
        if group.status == G.PENDING and member.role == GroupMember.Role.LEADER:
            Group.objects.filter(pk=group.pk).update(
                status=G.OPEN,
                paid_count=1,
                opened_at=now,
                expires_at=now + timedelta(minutes=group.deal.time_limit_minutes),
            )
            return "opened"
        if group.status == G.OPEN and group.expires_at is not None and paid_at < group.expires_at:
            Group.objects.filter(pk=group.pk, paid_count__lt=F("size")).update(
                paid_count=F("paid_count") + 1
            )
            group.refresh_from_db()
            publish(
                events.GroupJoined(
                    group_id=group.pk,
                    deal_id=group.deal_id,
                    leader_id=group.leader_id,
                    size=group.size,
                    member_id=member.user_id,
                    paid_count=group.paid_count,
                )
            )
            if group.paid_count >= group.size:
                _succeed(group, now=now)
                return "succeeded"
            return "counted"
    # Paid after the group ended (or after its deadline): the money goes back.
    _refund_member(member.pk, reason=str(_("The group ended before this payment counted")))
    return "refunded"


def group_member_release(*, order_number: str) -> bool:
    """The member's order was cancelled unpaid: the seat frees up, exactly once; a leader's
    pending group is cancelled with it."""
    with transaction.atomic():
        member = _locked_member(order_number)
        if member is None or member.status != M.HELD:
            return False
        group = _locked_group(member.group_id)
        GroupMember.objects.filter(pk=member.pk).update(status=M.RELEASED)
        Group.objects.filter(pk=group.pk, seats_taken__gt=0).update(
            seats_taken=F("seats_taken") - 1
        )
        if group.status == G.PENDING and member.role == GroupMember.Role.LEADER:
            Group.objects.filter(pk=group.pk, status=G.PENDING).update(
                status=G.CANCELLED, finished_at=clock.now()
            )
        return True


def group_member_refunded(*, order_number: str) -> bool:
    """The member's order was refunded in full. A refund the group asked for ends here; a
    paid member who got their money back another way (after-sales) leaves an open group."""
    with transaction.atomic():
        member = _locked_member(order_number)
        if member is None or member.status not in (M.REFUNDING, M.PAID):
            return False
        group = _locked_group(member.group_id)
        GroupMember.objects.filter(pk=member.pk).update(status=M.REFUNDED)
        if member.status == M.PAID and group.status == G.OPEN:
            Group.objects.filter(pk=group.pk, paid_count__gt=0, seats_taken__gt=0).update(
                paid_count=F("paid_count") - 1, seats_taken=F("seats_taken") - 1
            )
        return True


def _refund_member(member_id: int, *, reason: str) -> bool:
    """paid → refunding and ask the provider, in one transaction; the key holds the attempt,
    so a retry after a refused refund is a new refund and a repeat of this one is not."""
    with transaction.atomic():
        member = GroupMember.objects.select_for_update().get(pk=member_id)
        retry = member.status == M.REFUNDING
        if member.status not in (M.PAID, M.REFUNDING):
            return False
        if retry and order_selectors.order_status(member.order_number) != OrderStatus.PAID:
            return False  # the last attempt is still with the provider, or already done
        attempt = member.refund_attempts + 1
        GroupMember.objects.filter(pk=member.pk).update(status=M.REFUNDING, refund_attempts=attempt)
        asked = orders.order_refund_in_full(
            number=member.order_number,
            reason=reason,
            key=f"group:{member.group_id}:{member.pk}:{attempt}",
        )
        if not asked:
            # Not refundable as a whole now (an after-sales refund is running): the retry
            # sweep looks again later.
            logger.info(
                "group member %s: order %s not refundable now", member.pk, member.order_number
            )
        return asked


def group_refund_members(*, group_id: int) -> int:
    """The group failed: refund every paid member (idempotent: members already refunding or
    refunded are skipped). Returns how many refunds were asked for."""
    asked = 0
    for member_id in GroupMember.objects.filter(group_id=group_id, status=M.PAID).values_list(
        "pk", flat=True
    ):
        if _refund_member(member_id, reason=str(_("The group did not fill up in time"))):
            asked += 1
    return asked


# --- the deadline sweep (periodic task; safe to run twice at once) ---------------------------


def _due_groups(now: datetime, limit: int) -> list[int]:
    query = Group.objects.filter(status=G.OPEN, expires_at__lte=now).order_by("expires_at")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.values_list("pk", flat=True)[:limit])


def _expire(group_id: int) -> str:
    with transaction.atomic():
        group = _locked_group(group_id)
        now = clock.now()
        if group.status != G.OPEN or group.expires_at is None or group.expires_at > now:
            return ""
        if group.deal.auto_fill and group.paid_count >= 1:
            _succeed(group, now=now, filled_by_system=group.size - group.paid_count)
            outcome = "succeeded"
        else:
            Group.objects.filter(pk=group.pk).update(status=G.FAILED, finished_at=now)
            members = _paid_members(group.pk)
            publish(
                events.GroupFailed(
                    group_id=group.pk,
                    deal_id=group.deal_id,
                    leader_id=group.leader_id,
                    size=group.size,
                    paid_count=group.paid_count,
                    member_ids=[member.user_id for member in members],
                    order_numbers=[member.order_number for member in members],
                )
            )
            outcome = "failed"
        unpaid = list(
            GroupMember.objects.filter(group_id=group.pk, status=M.HELD).values_list(
                "order_number", flat=True
            )
        )
    for number in unpaid:  # nobody may pay into a group that is over
        orders.order_cancel_by_system(number=number, reason=str(_("The group has ended")))
    return outcome


def groups_expire(*, limit: int = 200) -> tuple[int, int]:
    """Groups past their deadline: succeeded (auto-fill) or failed. Returns (succeeded,
    failed). Refunds follow from the GroupFailed handler."""
    with transaction.atomic():
        ids = _due_groups(clock.now(), limit)
    counts = {"succeeded": 0, "failed": 0, "": 0}
    for group_id in ids:
        counts[_expire(group_id)] += 1
    return counts["succeeded"], counts["failed"]


def group_refunds_retry(*, limit: int = 200) -> int:
    """Members of failed groups still owed money: a paid member the handler has not reached,
    or a refund the provider refused (its order is back to paid). Asks again."""
    asked = 0
    members = GroupMember.objects.filter(
        group__status=G.FAILED, status__in=(M.PAID, M.REFUNDING)
    ).values_list("pk", flat=True)[:limit]
    for member_id in list(members):
        if _refund_member(member_id, reason=str(_("The group did not fill up in time"))):
            asked += 1
    return asked
