"""After-sales: return/refund requests, merchant decisions, escalation, refunds, restock.

requested ──approve──▶ approved ──(refund only)──▶ refunding ──▶ refunded
    │                     └──(return)──▶ awaiting_return ──▶ return_shipped ──receive──┘
    ├──reject──▶ rejected ──escalate──▶ escalated ──approve / close (operator)
    └──cancel (buyer, until money moves)
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.money import Money
from circlemart.core.text import clean_plain_text
from circlemart.inventory import services as inventory
from circlemart.orders import services as order_services
from circlemart.orders.contracts import OrderStatus as S
from circlemart.orders.machine import Actor
from circlemart.orders.models import (
    AfterSalesPhoto,
    AfterSalesRequest,
    AfterSalesTransition,
    Order,
    OrderLine,
)
from circlemart.payments import services as payments

R = AfterSalesRequest.Status
ALLOWED: dict[str, frozenset[str]] = {
    R.REQUESTED: frozenset({R.APPROVED, R.REJECTED, R.CANCELLED}),
    R.REJECTED: frozenset({R.ESCALATED, R.CANCELLED}),
    R.ESCALATED: frozenset({R.APPROVED, R.CLOSED}),
    R.APPROVED: frozenset({R.REFUNDING, R.AWAITING_RETURN, R.CANCELLED}),
    R.AWAITING_RETURN: frozenset({R.RETURN_SHIPPED, R.CANCELLED}),
    R.RETURN_SHIPPED: frozenset({R.REFUNDING}),
    R.REFUNDING: frozenset({R.REFUNDED, R.APPROVED}),
    R.REFUNDED: frozenset(),
    R.CLOSED: frozenset(),
    R.CANCELLED: frozenset(),
}
REFUNDABLE_ORDER_STATUSES = frozenset({S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED})
RETURNABLE_ORDER_STATUSES = frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED})
MAX_PHOTOS = 6
PHOTO_MAX_BYTES = 8 * 1024 * 1024
REFERENCE_PREFIX = "aftersales:"


def _move(
    request: AfterSalesRequest, to: str, *, actor: Actor, reason: str = "", **fields: object
) -> None:
    if to not in ALLOWED[request.status]:
        raise Conflict(
            _("A request that is “%(current)s” cannot become “%(target)s”.")
            % {"current": R(request.status).label, "target": R(to).label},
            code="illegal_transition",
            field="status",
            extra={"status": request.status, "target": to},
        )
    now = clock.now()
    changed = AfterSalesRequest.objects.filter(pk=request.pk, status=request.status).update(
        status=to, updated_at=now, **fields
    )
    if not changed:
        raise Conflict(_("This request changed a moment ago; reload it."), code="request_changed")
    AfterSalesTransition.objects.create(
        request=request,
        from_status=request.status,
        to_status=to,
        actor_id=actor.user_id,
        actor_kind=actor.kind,
        reason=reason[:300],
        at=now,
    )
    request.status = to
    for name, value in fields.items():
        setattr(request, name, value)


def refundable_amount(order: Order, lines: dict[int, int]) -> int:
    """What the chosen units may refund: each line's paid share for those units (never more
    than that line has left), plus shipping when everything goes back before it shipped."""
    by_id = {line.pk: line for line in order.lines.all()}
    total = 0
    everything = True
    for line in by_id.values():
        wanted = lines.get(line.pk, 0)
        if wanted < line.quantity - line.refunded_quantity:
            everything = False
        if wanted:
            share = (line.total * wanted + line.quantity - 1) // line.quantity
            total += min(share, line.total - line.refunded_amount)
    if everything and order.status == S.PAID:
        total += order.shipping_fee
    return min(total, order.paid_amount - order.refunded_amount)


def _clean_lines(order: Order, raw: dict[int, int] | None) -> dict[int, int]:
    lines = {line.pk: line for line in order.lines.all()}
    if not raw:
        chosen = {pk: line.quantity - line.refunded_quantity for pk, line in lines.items()}
        return {pk: quantity for pk, quantity in chosen.items() if quantity > 0}
    chosen = {}
    for line_id, quantity in raw.items():
        line = lines.get(int(line_id))
        if line is None:
            raise NotFound(_("That item is not in this order."), code="unknown_line", field="lines")
        left = line.quantity - line.refunded_quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= left:
            raise ValidationFailed(
                _("Choose between 1 and %(left)d of “%(title)s”.")
                % {"left": left, "title": line.title},
                code="invalid_quantity",
                field="lines",
            )
        chosen[line.pk] = quantity
    return chosen


def _photo(upload: UploadedFile[bytes]) -> ContentFile[bytes]:
    if upload.size is None or upload.size > PHOTO_MAX_BYTES:
        raise ValidationFailed(
            _("Each photo must be under 8 MB."), code="photo_too_big", field="photos"
        )
    try:
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")  # drops EXIF, GPS included
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationFailed(
            _("Photos must be JPEG, PNG or WebP images."), code="not_an_image", field="photos"
        ) from exc
    image.thumbnail((1600, 1600))
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=82)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.webp")


def aftersales_request(
    *,
    buyer_id: int,
    number: str,
    kind: str,
    reason: str,
    detail: str = "",
    lines: dict[int, int] | None = None,
    amount: int | None = None,
    photos: list[UploadedFile[bytes]] | None = None,
) -> AfterSalesRequest:
    if kind not in AfterSalesRequest.Kind.values:
        raise ValidationFailed(
            _("Choose refund only or return and refund."), code="invalid_kind", field="kind"
        )
    if reason not in AfterSalesRequest.Reason.values:
        raise ValidationFailed(_("Choose a reason."), code="invalid_reason", field="reason")
    detail = clean_plain_text(detail, field="detail", max_length=500, multiline=True)
    if photos and len(photos) > MAX_PHOTOS:
        raise ValidationFailed(
            _("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS},
            code="too_many_photos",
            field="photos",
        )
    files = [_photo(upload) for upload in photos or []]
    with transaction.atomic():
        order = order_services._buyer_order(buyer_id=buyer_id, number=number, lock=True)
        _check_order_open_for_aftersales(order, kind)
        chosen = _clean_lines(order, lines)
        if not chosen:
            raise Conflict(_("Everything in this order was already refunded."), code="nothing_left")
        ceiling = refundable_amount(order, chosen)
        wanted = ceiling if amount is None else amount
        if isinstance(wanted, bool) or not isinstance(wanted, int) or not 1 <= wanted <= ceiling:
            raise ValidationFailed(
                _("The refund must be between %(low)s and %(high)s.")
                % {"low": Money(1, order.currency), "high": Money(max(ceiling, 1), order.currency)},
                code="invalid_amount",
                field="amount",
                extra={"max": ceiling},
            )
        try:
            with transaction.atomic():
                request = AfterSalesRequest.objects.create(
                    order=order,
                    buyer_id=buyer_id,
                    kind=kind,
                    reason=reason,
                    detail=detail,
                    lines={str(pk): quantity for pk, quantity in chosen.items()},
                    amount=wanted,
                    restock=kind == AfterSalesRequest.Kind.RETURN_AND_REFUND,
                )
        except IntegrityError as exc:
            raise Conflict(
                _("This order already has an open after-sales request."),
                code="aftersales_open",
                field="number",
            ) from exc
        AfterSalesTransition.objects.create(
            request=request,
            to_status=R.REQUESTED,
            actor_id=buyer_id,
            actor_kind="buyer",
            at=clock.now(),
        )
        for content in files:
            AfterSalesPhoto.objects.create(request=request, image=content)
        return request


def _check_order_open_for_aftersales(order: Order, kind: str) -> None:
    if order.status not in REFUNDABLE_ORDER_STATUSES:
        raise Conflict(
            _("This order cannot be refunded now."), code="not_refundable", field="number"
        )
    if (
        kind == AfterSalesRequest.Kind.RETURN_AND_REFUND
        and order.status not in RETURNABLE_ORDER_STATUSES
    ):
        raise Conflict(
            _("Nothing has shipped yet: ask for a refund only."), code="not_shipped", field="kind"
        )
    if order.status == S.COMPLETED and order.completed_at is not None:
        closes = order.completed_at + timedelta(days=settings.AFTER_SALES_WINDOW_DAYS)
        if clock.now() > closes:
            raise Conflict(
                _("The after-sales window for this order has closed."),
                code="window_closed",
                field="number",
            )


def _staff_request(staff_id: int, request_id: int) -> AfterSalesRequest:
    order_services.require_staff(staff_id)
    request = AfterSalesRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Request not found."), code="request_not_found", field="request_id")
    return request


def _buyer_request(buyer_id: int, request_id: int) -> AfterSalesRequest:
    request = (
        AfterSalesRequest.objects.select_for_update()
        .filter(pk=request_id, buyer_id=buyer_id)
        .first()
    )
    if request is None:
        raise NotFound(_("Request not found."), code="request_not_found", field="request_id")
    return request


def _start_refund(request: AfterSalesRequest, *, actor: Actor) -> None:
    order = Order.objects.select_for_update().get(pk=request.order_id)
    attempt = (
        AfterSalesTransition.objects.filter(request=request, to_status=R.REFUNDING).count() + 1
    )
    reference = f"{REFERENCE_PREFIX}{request.pk}:{attempt}"
    _move(request, R.REFUNDING, actor=actor, refund_reference=reference)
    order_services.order_begin_refund(order, actor=actor, reason=str(_("After-sales refund")))
    payments.payment_refund(
        order_number=order.number,
        amount=request.amount,
        reason=f"after-sales #{request.pk}",
        reference=reference,
    )


def aftersales_approve(
    *,
    staff_id: int,
    request_id: int,
    amount: int | None = None,
    restock: bool | None = None,
    note: str = "",
) -> AfterSalesRequest:
    with transaction.atomic():
        request = _staff_request(staff_id, request_id)
        actor = Actor(staff_id, "staff")
        note = clean_plain_text(note, field="note", max_length=300)
        fields: dict[str, object] = {"merchant_note": note}
        if amount is not None:
            order = Order.objects.get(pk=request.order_id)
            ceiling = refundable_amount(order, {int(k): v for k, v in request.lines.items()})
            if isinstance(amount, bool) or not 1 <= amount <= ceiling:
                raise ValidationFailed(
                    _("The refund must be between 1 and %(high)d minor units.") % {"high": ceiling},
                    code="invalid_amount",
                    field="amount",
                )
            fields["amount"] = amount
        if restock is not None:
            fields["restock"] = restock
        _move(request, R.APPROVED, actor=actor, reason=note, **fields)
        if request.kind == AfterSalesRequest.Kind.REFUND_ONLY:
            _start_refund(request, actor=actor)
        else:
            _move(request, R.AWAITING_RETURN, actor=actor)
        return request


def aftersales_reject(*, staff_id: int, request_id: int, reason: str) -> AfterSalesRequest:
    reason = clean_plain_text(reason, field="reason", max_length=300)
    if not reason:
        raise ValidationFailed(
            _("Say why the request is rejected."), code="reason_required", field="reason"
        )
    with transaction.atomic():
        request = _staff_request(staff_id, request_id)
        target = R.CLOSED if request.status == R.ESCALATED else R.REJECTED
        _move(
            request,
            target,
            actor=Actor(staff_id, "staff"),
            reason=reason,
            merchant_note=reason[:300],
        )
        return request


def aftersales_escalate(*, buyer_id: int, request_id: int, reason: str) -> AfterSalesRequest:
    reason = clean_plain_text(reason, field="reason", max_length=300)
    if not reason:
        raise ValidationFailed(
            _("Tell the operator what went wrong."), code="reason_required", field="reason"
        )
    with transaction.atomic():
        request = _buyer_request(buyer_id, request_id)
        _move(request, R.ESCALATED, actor=Actor(buyer_id, "buyer"), reason=reason)
        return request


def aftersales_cancel(*, buyer_id: int, request_id: int) -> AfterSalesRequest:
    with transaction.atomic():
        request = _buyer_request(buyer_id, request_id)
        _move(request, R.CANCELLED, actor=Actor(buyer_id, "buyer"))
        return request


def aftersales_ship_return(
    *, buyer_id: int, request_id: int, carrier: str, tracking_number: str
) -> AfterSalesRequest:
    carrier, tracking_number = order_services.clean_shipment(carrier, tracking_number)
    with transaction.atomic():
        request = _buyer_request(buyer_id, request_id)
        _move(
            request,
            R.RETURN_SHIPPED,
            actor=Actor(buyer_id, "buyer"),
            return_carrier=carrier,
            return_tracking=tracking_number,
        )
        return request


def aftersales_receive_return(
    *, staff_id: int, request_id: int, restock: bool | None = None
) -> AfterSalesRequest:
    with transaction.atomic():
        request = _staff_request(staff_id, request_id)
        if restock is not None:
            AfterSalesRequest.objects.filter(pk=request.pk).update(restock=restock)
            request.restock = restock
        if request.status != R.RETURN_SHIPPED:
            _move(request, R.REFUNDING, actor=Actor(staff_id, "staff"))  # refused with a 409
        _start_refund(request, actor=Actor(staff_id, "staff"))
        return request


def aftersales_retry_refund(*, staff_id: int, request_id: int) -> AfterSalesRequest:
    """After the provider refused a refund, try again (a fresh reference, the same amount)."""
    with transaction.atomic():
        request = _staff_request(staff_id, request_id)
        if request.status != R.APPROVED or not request.refund_reference:
            raise Conflict(_("There is no failed refund to retry."), code="nothing_to_retry")
        _start_refund(request, actor=Actor(staff_id, "staff"))
        return request


# --- the provider's answer (handlers call these) ---------------------------------------------


def _request_for_reference(reference: str) -> AfterSalesRequest | None:
    if not reference.startswith(REFERENCE_PREFIX):
        return None
    request_id = reference.removeprefix(REFERENCE_PREFIX).split(":", 1)[0]
    if not request_id.isdigit():
        return None
    return (
        AfterSalesRequest.objects.select_for_update()
        .filter(pk=int(request_id), refund_reference=reference)
        .first()
    )


def _line_shares(request: AfterSalesRequest, amount: int) -> dict[int, tuple[int, int]]:
    """Spread the refunded amount over the request's lines, exactly, capped per line."""
    chosen = {int(pk): quantity for pk, quantity in request.lines.items()}
    lines = {line.pk: line for line in OrderLine.objects.filter(pk__in=chosen)}
    weights = [max(lines[pk].total - lines[pk].refunded_amount, 0) for pk in chosen]
    goods = min(amount, sum(weights))
    if goods <= 0 or not any(weights):
        return {pk: (quantity, 0) for pk, quantity in chosen.items()}
    shares = Money(goods, "XXX").allocate(weights)
    return {pk: (chosen[pk], share.amount) for pk, share in zip(chosen, shares, strict=True)}


def aftersales_refund_succeeded(*, reference: str, amount: int) -> bool:
    """RefundSucceeded arrived for an after-sales refund. Applied once (state check)."""
    with transaction.atomic():
        request = _request_for_reference(reference)
        if request is None or request.status != R.REFUNDING:
            return False
        _move(request, R.REFUNDED, actor=Actor(None, "payment"))
        order = Order.objects.get(pk=request.order_id)
        shares = _line_shares(request, amount)
        order_services.order_refund_applied(number=order.number, amount=amount, line_refunds=shares)
        if request.restock:
            skus = dict(OrderLine.objects.filter(pk__in=shares).values_list("pk", "sku_id"))
            quantities: dict[int, int] = {}
            for line_id, (quantity, _share) in shares.items():
                quantities[skus[line_id]] = quantities.get(skus[line_id], 0) + quantity
            inventory.stock_restock(quantities=quantities)
        return True


def aftersales_refund_failed(*, reference: str, reason: str) -> bool:
    with transaction.atomic():
        request = _request_for_reference(reference)
        if request is None or request.status != R.REFUNDING:
            return False
        _move(
            request,
            R.APPROVED,
            actor=Actor(None, "payment"),
            reason=reason,
            merchant_note=reason[:300],
        )
        order = Order.objects.select_for_update().get(pk=request.order_id)
        order_services.order_end_refund_attempt(order, reason=reason)
        return True
