"""Promotions writes: claiming and redeeming coupons, using them with an order (inside the
order's transaction), returning them, and the sweeps.

Locking: a claim inserts the user coupon (unique per claim number) and then takes the
template's quantity with one conditional UPDATE; a use takes the user coupon with a
conditional UPDATE (available → locked), inserts its CouponUse (partial unique indexes), then
takes the template's use budget, in user-coupon-id then template-id order. Never read,
compute, then write a counter."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.utils.translation import gettext as _

from circlemart.core import clock, ratelimit
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.events import publish
from circlemart.pricing.contracts import PlacedOrder
from circlemart.promotions import events
from circlemart.promotions.coupons import errors, selectors
from circlemart.promotions.coupons.calculation import FIELD
from circlemart.promotions.coupons.contracts import (
    SHIPPING_GROUP,
    CouponKind,
    CouponRef,
    CouponStatus,
)
from circlemart.promotions.coupons.models import (
    CouponCode,
    CouponTemplate,
    CouponUse,
    MemberLevel,
    PaidBuyer,
    UserCoupon,
)

CLAIM_RATE = (30, 60)  # claims per user per minute
REDEEM_RATE = (10, 300)  # code attempts per user per five minutes: codes must not be guessed
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 10
CODE_MAX = 32


def _ref(coupon: UserCoupon) -> CouponRef:
    return CouponRef(
        id=coupon.pk,
        template_id=coupon.template_id,
        status=coupon.status,
        valid_from=coupon.valid_from,
        valid_until=coupon.valid_until,
    )


def _not_claimable() -> Conflict:
    return Conflict(
        _("This coupon cannot be claimed now."), code=errors.NOT_CLAIMABLE, field="template_id"
    )


def _window(template: CouponTemplate, now: datetime) -> tuple[datetime, datetime]:
    """The claimed coupon's own validity: N days from claiming (never past the campaign's
    end), or the campaign's absolute window."""
    start = max(now, template.valid_from) if template.valid_from else now
    if template.valid_days:
        end = start + timedelta(days=template.valid_days)
        if template.valid_until is not None:
            end = min(end, template.valid_until)
    else:
        if template.valid_until is None:  # the model's constraint makes this impossible
            raise _not_claimable()
        start = template.valid_from or now
        end = template.valid_until
    if end <= max(start, now):
        raise _not_claimable()
    return start, end


def _check_claimable(template: CouponTemplate, *, user_id: int, now: datetime) -> None:
    if (template.claim_starts_at and template.claim_starts_at > now) or (
        template.claim_ends_at and template.claim_ends_at <= now
    ):
        raise _not_claimable()
    if template.remaining == 0:
        raise Conflict(
            _("All of these coupons have been claimed."), code=errors.SOLD_OUT, field="template_id"
        )
    if template.is_new_users_only and not selectors.is_new_buyer(user_id):
        raise Conflict(
            _("This coupon is for shoppers who have not ordered yet."),
            code=errors.COUPON_NEW_USERS_ONLY,
            field="template_id",
        )


def _insert_claim(
    template: CouponTemplate, *, user_id: int, code: CouponCode | None, now: datetime
) -> UserCoupon:
    """The next claim number for this owner, or a refusal at the per-user limit. Two claims
    racing for one number: the unique index lets one in, the other counts again."""
    valid_from, valid_until = _window(template, now)
    for _attempt in range(template.per_user_limit + 1):
        last = UserCoupon.objects.filter(template=template, owner_id=user_id).aggregate(
            last=Max("claim_number")
        )["last"]
        number = (last or 0) + 1
        if number > template.per_user_limit:
            break
        try:
            with transaction.atomic():
                return UserCoupon.objects.create(
                    template=template,
                    owner_id=user_id,
                    claim_number=number,
                    claim_limit=template.per_user_limit,
                    code=code,
                    status=CouponStatus.AVAILABLE,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    claimed_at=now,
                )
        except IntegrityError:
            if code is not None and UserCoupon.objects.filter(code=code, owner_id=user_id).exists():
                raise _already_redeemed() from None
            continue
    raise Conflict(
        _("You have claimed this coupon the most times allowed (%(limit)d).")
        % {"limit": template.per_user_limit},
        code=errors.CLAIM_LIMIT,
        field="template_id",
        extra={"limit": template.per_user_limit},
    )


def _take_quantity(template: CouponTemplate) -> None:
    taken = (
        CouponTemplate.objects.filter(pk=template.pk, is_active=True)
        .filter(Q(total_quantity__isnull=True) | Q(claimed_count__lt=F("total_quantity")))
        .update(claimed_count=F("claimed_count") + 1)
    )
    if not taken:
        raise Conflict(
            _("All of these coupons have been claimed."), code=errors.SOLD_OUT, field="template_id"
        )


def _claim(template: CouponTemplate, *, user_id: int, code: CouponCode | None) -> CouponRef:
    now = clock.now()
    _check_claimable(template, user_id=user_id, now=now)
    with transaction.atomic():
        coupon = _insert_claim(template, user_id=user_id, code=code, now=now)
        if code is not None:
            _take_redemption(code)
        _take_quantity(template)
        publish(
            events.CouponClaimed(
                user_coupon_id=coupon.pk,
                template_id=template.pk,
                owner_id=user_id,
                code_id=code.pk if code else None,
            )
        )
    return _ref(coupon)


def coupon_claim(*, user_id: int, template_id: int) -> CouponRef:
    """Claim a public coupon from the claim centre. Refusals: unknown or hidden (404), outside
    its claim window (409 coupon_not_claimable), none left (409 coupon_sold_out), at the
    per-user limit (409 coupon_claim_limit), not a new user (409 coupon_new_users_only)."""
    ratelimit.hit(f"coupon-claim:{user_id}", limit=CLAIM_RATE[0], window=CLAIM_RATE[1])
    template = CouponTemplate.objects.filter(pk=template_id, is_active=True, is_public=True).first()
    if template is None:
        raise NotFound(
            _("This coupon does not exist."), code=errors.TEMPLATE_NOT_FOUND, field="template_id"
        )
    return _claim(template, user_id=user_id, code=None)


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


def _already_redeemed() -> Conflict:
    return Conflict(
        _("You have already redeemed this code."), code=errors.CODE_ALREADY_REDEEMED, field="code"
    )


def _take_redemption(code: CouponCode) -> None:
    taken = (
        CouponCode.objects.filter(pk=code.pk, is_active=True)
        .filter(Q(max_redemptions__isnull=True) | Q(redeemed_count__lt=F("max_redemptions")))
        .update(redeemed_count=F("redeemed_count") + 1)
    )
    if not taken:
        raise Conflict(
            _("This code has already been used."), code=errors.CODE_USED_UP, field="code"
        )


def coupon_redeem(*, user_id: int, code: str) -> CouponRef:
    """Redeem a code for its coupon. An unknown, inactive or mistyped code is one answer
    (404 coupon_code_invalid); attempts are rate limited so codes cannot be guessed."""
    ratelimit.hit(
        f"coupon-redeem:{user_id}", limit=REDEEM_RATE[0], window=REDEEM_RATE[1], field="code"
    )
    text = normalize_code(code)
    row = (
        CouponCode.objects.filter(code=text, is_active=True, template__is_active=True)
        .select_related("template")
        .first()
        if 0 < len(text) <= CODE_MAX
        else None
    )
    if row is None:
        raise NotFound(
            _("This code is not valid. Check it and try again."),
            code=errors.CODE_INVALID,
            field="code",
        )
    if UserCoupon.objects.filter(code=row, owner_id=user_id).exists():
        raise _already_redeemed()
    if row.max_redemptions is not None and row.redeemed_count >= row.max_redemptions:
        raise Conflict(
            _("This code has already been used."), code=errors.CODE_USED_UP, field="code"
        )
    return _claim(row.template, user_id=user_id, code=row)


def codes_generate(*, template_id: int, count: int, prefix: str = "") -> list[str]:
    """Single-use codes for distribution. Random, so a code says nothing about its siblings."""
    if not 1 <= count <= 10000:
        raise ValidationFailed(_("Generate between 1 and 10,000 codes."), field="count")
    prefix = normalize_code(prefix)[:8]
    if prefix and not prefix.isalnum():
        raise ValidationFailed(_("A prefix has letters and digits only."), field="prefix")
    template = CouponTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("This coupon does not exist."), code=errors.TEMPLATE_NOT_FOUND)
    made: list[str] = []
    while len(made) < count:
        batch = {
            prefix + "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
            for _j in range(count - len(made))
        }
        with transaction.atomic():  # a clash with any existing code is skipped, then retried
            CouponCode.objects.bulk_create(
                [CouponCode(template=template, code=text, max_redemptions=1) for text in batch],
                ignore_conflicts=True,
            )
        stored = CouponCode.objects.filter(code__in=batch, template=template)
        made.extend(sorted(set(stored.values_list("code", flat=True)) - set(made)))
    return made[:count]


# --- Using coupons with an order -------------------------------------------------------------


def _applied(placed: PlacedOrder) -> dict[int, int]:
    """Coupons the quote actually applied, with what each took off (a coupon that took
    nothing off is not used up)."""
    amounts: dict[int, int] = defaultdict(int)
    for adjustment in placed.quote.adjustments:
        kind, _sep, ident = adjustment.rule.partition(":")
        if kind == "coupon" and ident.isdigit():
            amounts[int(ident)] += adjustment.amount
    return dict(amounts)


def _use_refused(user_coupon_id: int, now: datetime) -> Conflict:
    status = (
        UserCoupon.objects.filter(pk=user_coupon_id).values_list("status", "valid_until").first()
    )
    if status is not None and status[0] == CouponStatus.AVAILABLE and status[1] <= now:
        return Conflict(
            _("This coupon has expired."),
            code=errors.COUPON_EXPIRED,
            field=FIELD,
            extra={"coupon_id": user_coupon_id},
        )
    return Conflict(
        _("This coupon has already been used."),
        code=errors.COUPON_USED,
        field=FIELD,
        extra={"coupon_id": user_coupon_id},
    )


def coupons_use_for_order(placed: PlacedOrder) -> None:
    """Runs inside the order's transaction (pricing commit hook). Any refusal raises and the
    whole order rolls back with it, so an order and its coupons commit together or not at
    all."""
    applied = _applied(placed)
    if not applied:
        return
    now = clock.now()
    coupons = {
        coupon.pk: coupon
        for coupon in UserCoupon.objects.filter(
            pk__in=list(applied), owner_id=placed.buyer_id
        ).select_related("template")
    }
    uses_per_template: dict[int, int] = defaultdict(int)
    for coupon_id in sorted(applied):
        coupon = coupons.get(coupon_id)
        taken = (
            UserCoupon.objects.filter(
                pk=coupon_id,
                owner_id=placed.buyer_id,
                status=CouponStatus.AVAILABLE,
                valid_from__lte=now,
                valid_until__gt=now,
            ).update(status=CouponStatus.LOCKED, order_number=placed.order_number, used_at=now)
            if coupon is not None
            else 0
        )
        if not taken or coupon is None:
            raise _use_refused(coupon_id, now)
        template = coupon.template
        group = (
            SHIPPING_GROUP if template.kind == CouponKind.FREE_SHIPPING else template.stacking_group
        )
        try:
            with transaction.atomic():
                CouponUse.objects.create(
                    user_coupon_id=coupon_id,
                    template_id=template.pk,
                    buyer_id=placed.buyer_id,
                    order_number=placed.order_number,
                    stacking_group=group,
                    amount=applied[coupon_id],
                    used_at=now,
                )
        except IntegrityError:
            raise Conflict(
                _("These coupons cannot be combined: choose one of them."),
                code=errors.COUPON_NOT_STACKABLE,
                field=FIELD,
                extra={"coupon_id": coupon_id},
            ) from None
        uses_per_template[template.pk] += 1
    for template_id in sorted(uses_per_template):
        count = uses_per_template[template_id]
        taken = (
            CouponTemplate.objects.filter(pk=template_id)
            .filter(Q(max_uses__isnull=True) | Q(used_count__lte=F("max_uses") - count))
            .update(used_count=F("used_count") + count)
        )
        if not taken:
            raise Conflict(
                _("This coupon campaign has run out: it cannot be used any more."),
                code=errors.COUPON_USES_EXHAUSTED,
                field=FIELD,
                extra={"template_id": template_id},
            )
    for coupon_id in sorted(applied):
        publish(
            events.CouponUsed(
                user_coupon_id=coupon_id,
                template_id=coupons[coupon_id].template_id,
                owner_id=placed.buyer_id,
                order_number=placed.order_number,
                amount=applied[coupon_id],
            )
        )


@transaction.atomic
def coupons_mark_paid(*, order_number: str) -> int:
    """The order was paid: its held coupons are used for good."""
    return UserCoupon.objects.filter(order_number=order_number, status=CouponStatus.LOCKED).update(
        status=CouponStatus.USED
    )


@transaction.atomic
def coupons_return_for_order(*, order_number: str, reason: str) -> int:
    """The order was cancelled or fully refunded: its coupons come back (or expire, when
    their window is over). Idempotent: a use is returned once, by a conditional UPDATE."""
    now = clock.now()
    returned = 0
    uses = CouponUse.objects.filter(order_number=order_number, returned_at__isnull=True)
    for use in uses.order_by("user_coupon_id"):
        if not CouponUse.objects.filter(pk=use.pk, returned_at__isnull=True).update(
            returned_at=now
        ):
            continue
        UserCoupon.objects.filter(
            pk=use.user_coupon_id,
            order_number=order_number,
            status__in=[CouponStatus.LOCKED, CouponStatus.USED],
        ).update(
            status=Case(
                When(valid_until__gt=now, then=Value(CouponStatus.AVAILABLE)),
                default=Value(CouponStatus.EXPIRED),
            ),
            order_number="",
            used_at=None,
        )
        CouponTemplate.objects.filter(pk=use.template_id, used_count__gte=1).update(
            used_count=F("used_count") - 1
        )
        status = UserCoupon.objects.filter(pk=use.user_coupon_id).values_list("status", flat=True)
        publish(
            events.CouponReturned(
                user_coupon_id=use.user_coupon_id,
                template_id=use.template_id,
                owner_id=use.buyer_id,
                order_number=order_number,
                reason=reason,
                is_expired=status.first() == CouponStatus.EXPIRED,
            )
        )
        returned += 1
    return returned


def paid_buyer_record(*, buyer_id: int, order_number: str, paid_at: datetime) -> bool:
    """Remember that this shopper has paid (the first payment wins). True when new."""
    _row, created = PaidBuyer.objects.get_or_create(
        buyer_id=buyer_id,
        defaults={"first_order_number": order_number, "first_paid_at": paid_at},
    )
    return created


def coupons_expire() -> int:
    """Mark available coupons past their window as expired (the pages already show them so)."""
    return UserCoupon.objects.filter(
        status=CouponStatus.AVAILABLE, valid_until__lte=clock.now()
    ).update(status=CouponStatus.EXPIRED)


def member_level_set(*, user_id: int, level: str | None) -> None:
    """TODO(growth): growth will set levels from its own rules; kept here until it does."""
    if level is None:
        MemberLevel.objects.filter(user_id=user_id).delete()
        return
    MemberLevel.objects.update_or_create(user_id=user_id, defaults={"level": level})


def coupon_grant(*, user_id: int, template_id: int) -> CouponRef:
    """Give one coupon of an active template (public or not) to a user as a reward (an invite,
    a task, a game prize): no claim window, no per-user limit, but the template's total
    quantity and its validity still hold (409 coupon_sold_out / coupon_not_claimable). Run it
    inside the caller's transaction so a refused grant rolls the reward back with it."""
    template = CouponTemplate.objects.filter(pk=template_id, is_active=True).first()
    if template is None:
        raise NotFound(
            _("This coupon does not exist."), code=errors.TEMPLATE_NOT_FOUND, field="template_id"
        )
    now = clock.now()
    valid_from, valid_until = _window(template, now)
    with transaction.atomic():
        _take_quantity(template)
        # Grants of one template to one owner are serialised by the unique claim number: a
        # racing grant meets the index and counts again.
        for _attempt in range(20):
            last = UserCoupon.objects.filter(template=template, owner_id=user_id).aggregate(
                last=Max("claim_number")
            )["last"]
            number = (last or 0) + 1
            try:
                with transaction.atomic():
                    coupon = UserCoupon.objects.create(
                        template=template,
                        owner_id=user_id,
                        claim_number=number,
                        claim_limit=max(number, template.per_user_limit),
                        status=CouponStatus.AVAILABLE,
                        valid_from=valid_from,
                        valid_until=valid_until,
                        claimed_at=now,
                    )
                break
            except IntegrityError:
                continue
        else:
            raise Conflict(_("Please try again."), code="busy", field="template_id")
        publish(
            events.CouponClaimed(
                user_coupon_id=coupon.pk, template_id=template.pk, owner_id=user_id, code_id=None
            )
        )
    return _ref(coupon)


# --- Unlisted campaigns (live rooms) ---------------------------------------------------------


def coupon_template_create_unlisted(
    *, name: str, amount: int, min_spend: int, quantity: int, valid_days: int, name_en: str = ""
) -> int:
    """A non-public campaign (not in the claim centre) handed out by another feature, e.g. a
    live room's drop: a fixed amount off (a threshold when min_spend > 0), `quantity` coupons,
    one per user, each valid `valid_days` days after claiming. Refusals: ValidationFailed
    naming the field."""
    row = CouponTemplate(
        name=name,
        name_en=name_en,
        kind=CouponKind.THRESHOLD if min_spend > 0 else CouponKind.FIXED,
        amount=amount,
        min_spend=min_spend,
        is_public=False,
        valid_days=valid_days,
        total_quantity=quantity,
        per_user_limit=1,
    )
    try:
        row.full_clean(exclude=["categories", "products"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ValidationFailed(messages[0], code="invalid_coupon", field=field) from None
    row.save()
    return row.pk


def coupon_claim_unlisted(*, user_id: int, template_id: int) -> CouponRef:
    """Claim a coupon of a non-public campaign the caller has already authorised (a live
    room checks the room first). The same rules and exactness as coupon_claim: one
    conditional UPDATE takes the quantity, so N coupons give exactly N claims."""
    ratelimit.hit(f"coupon-claim:{user_id}", limit=CLAIM_RATE[0], window=CLAIM_RATE[1])
    template = CouponTemplate.objects.filter(
        pk=template_id, is_active=True, is_public=False
    ).first()
    if template is None:
        raise NotFound(
            _("This coupon does not exist."), code=errors.TEMPLATE_NOT_FOUND, field="template_id"
        )
    return _claim(template, user_id=user_id, code=None)
