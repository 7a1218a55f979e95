"""Promotions reads: the terms the price engine applies, the claim centre, my coupons, and the
coupons checkout offers for a basket (with the best combination preselected). Every read of
a user coupon is filtered by its owner."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock, humanize
from circlemart.core.errors import DomainError
from circlemart.core.pagination import paginate
from circlemart.core.text import localized
from circlemart.orders import selectors as order_selectors
from circlemart.pricing import selectors as pricing_selectors
from circlemart.pricing import services as pricing
from circlemart.pricing.contracts import PricingContext, Quote, QuoteItem
from circlemart.promotions.coupons import calculation
from circlemart.promotions.coupons.calculation import money
from circlemart.promotions.coupons.contracts import (
    BestCoupons,
    CheckoutCoupons,
    ClaimableCoupon,
    CouponCard,
    CouponChoice,
    CouponChoiceGroup,
    CouponKind,
    CouponStatus,
    CouponTab,
    CouponTerms,
    Scope,
    ScopeTerms,
    ThresholdTerms,
    UnlistedCoupon,
)
from circlemart.promotions.coupons.models import (
    CouponTemplate,
    MemberLevel,
    MemberPrice,
    ThresholdDiscount,
    UserCoupon,
)

FORM_MARKER = "coupon_choice"  # present when the checkout form carries the shopper's choice


class _Scoped(Protocol):
    pk: Any
    scope: str


# --- Scopes ----------------------------------------------------------------------------------


def _scopes(
    model: type[CouponTemplate] | type[ThresholdDiscount], rows: Sequence[_Scoped]
) -> dict[int, ScopeTerms]:
    """Each row's scope with category paths and product ids, in at most three queries."""
    owner = "coupontemplate_id" if model is CouponTemplate else "thresholddiscount_id"
    ids_by_scope: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        ids_by_scope[row.scope].append(row.pk)
    categories: dict[int, list[int]] = defaultdict(list)
    products: dict[int, set[int]] = defaultdict(set)
    if ids_by_scope[Scope.CATEGORIES]:
        through = model.categories.through.objects.filter(
            **{f"{owner}__in": ids_by_scope[Scope.CATEGORIES]}
        )
        for row_id, category_id in through.values_list(owner, "category_id"):
            categories[row_id].append(category_id)
    if ids_by_scope[Scope.PRODUCTS]:
        product_rows = model.products.through.objects.filter(
            **{f"{owner}__in": ids_by_scope[Scope.PRODUCTS]}
        )
        for row_id, product_id in product_rows.values_list(owner, "product_id"):
            products[row_id].add(product_id)
    nodes = catalog_selectors.categories_by_id(
        {category_id for ids in categories.values() for category_id in ids}
    )
    return {
        row.pk: ScopeTerms(
            scope=row.scope,
            category_paths=tuple(
                sorted(nodes[c].path for c in categories.get(row.pk, []) if c in nodes)
            ),
            product_ids=frozenset(products.get(row.pk, set())),
        )
        for row in rows
    }


def _category_names(scope_ids: Iterable[int]) -> dict[int, str]:
    return {
        node.id: localized(node.name, node.name_en)
        for node in catalog_selectors.categories_by_id(scope_ids).values()
    }


# --- What the price engine needs -------------------------------------------------------------


def _terms(user_coupon: UserCoupon, scope: ScopeTerms) -> CouponTerms:
    template = user_coupon.template
    return CouponTerms(
        user_coupon_id=user_coupon.pk,
        template_id=template.pk,
        owner_id=user_coupon.owner_id,
        kind=template.kind,
        name=template.name,
        name_en=template.name_en,
        currency=template.currency,
        amount=template.amount,
        percent=template.percent,
        max_discount=template.max_discount,
        min_spend=template.min_spend,
        scope=scope,
        stacking_group=template.stacking_group,
        is_new_users_only=template.is_new_users_only,
        status=user_coupon.status,
        valid_from=user_coupon.valid_from,
        valid_until=user_coupon.valid_until,
    )


def _terms_of(rows: Sequence[UserCoupon]) -> list[CouponTerms]:
    templates = {row.template_id: row.template for row in rows}
    scopes = _scopes(CouponTemplate, list(templates.values()))
    return [_terms(row, scopes[row.template_id]) for row in rows]


def coupon_terms(*, owner_id: int, user_coupon_ids: Iterable[int]) -> dict[int, CouponTerms]:
    """The owner's coupons among `user_coupon_ids` (others' coupons are simply absent)."""
    rows = list(
        UserCoupon.objects.filter(owner_id=owner_id, pk__in=list(user_coupon_ids))
        .select_related("template")
        .order_by("pk")
    )
    return {terms.user_coupon_id: terms for terms in _terms_of(rows)}


def is_new_buyer(buyer_id: int) -> bool:
    """No paid order yet: asked of orders, so shoppers who paid before promotions existed
    count too. (PaidBuyer, fed by OrderPaid, keeps each shopper's first paid order.)"""
    return not order_selectors.buyer_has_paid_order(buyer_id=buyer_id)


def member_level(user_id: int) -> str | None:
    return MemberLevel.objects.filter(user_id=user_id).values_list("level", flat=True).first()


def member_prices(*, level: str, sku_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        MemberPrice.objects.filter(
            level=level, sku_id__in=list(sku_ids), is_active=True
        ).values_list("sku_id", "price")
    )


def active_thresholds(*, now: datetime | None = None) -> list[ThresholdTerms]:
    moment = now or clock.now()
    rows = list(
        ThresholdDiscount.objects.filter(
            is_active=True, starts_at__lte=moment, ends_at__gt=moment
        ).order_by("priority", "id")
    )
    scopes = _scopes(ThresholdDiscount, rows)
    return [
        ThresholdTerms(
            threshold_id=row.pk,
            name=row.name,
            name_en=row.name_en,
            currency=row.currency,
            min_spend=row.min_spend,
            min_quantity=row.min_quantity,
            amount_off=row.amount_off,
            percent_off=row.percent_off,
            priority=row.priority,
            scope=scopes[row.pk],
        )
        for row in rows
    ]


# --- Cards -----------------------------------------------------------------------------------


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d")


def _headline(template: CouponTemplate) -> str:
    if template.kind == CouponKind.PERCENT:
        return humanize.percent_off(template.percent)
    if template.kind == CouponKind.FREE_SHIPPING:
        return _("Free shipping")
    return _("%(amount)s off") % {"amount": money(template.amount, template.currency)}


def _condition(template: CouponTemplate) -> str:
    parts = []
    if template.min_spend:
        parts.append(
            _("On orders from %(amount)s")
            % {"amount": money(template.min_spend, template.currency)}
        )
    else:
        parts.append(_("No minimum spend"))
    if template.kind == CouponKind.PERCENT and template.max_discount:
        parts.append(
            _("up to %(amount)s off") % {"amount": money(template.max_discount, template.currency)}
        )
    if template.is_new_users_only:
        parts.append(_("first order only"))
    return " · ".join(parts)


def _scope_label(template: CouponTemplate, category_names: Mapping[int, str]) -> str:
    if template.scope == Scope.CATEGORIES:
        names = [category_names[c.pk] for c in template.categories.all() if c.pk in category_names]
        return _("In: %(names)s") % {"names": "、".join(names)}
    if template.scope == Scope.PRODUCTS:
        return _("Selected products only")
    return _("All products")


def _template_validity(template: CouponTemplate) -> str:
    if template.valid_days:
        return _("Valid for %(days)d days after claiming") % {"days": template.valid_days}
    if template.valid_until is not None:
        return _("Valid until %(date)s") % {"date": _day(template.valid_until)}
    return ""


def _card(
    template: CouponTemplate,
    category_names: Mapping[int, str],
    user_coupon: UserCoupon | None = None,
    *,
    now: datetime | None = None,
) -> CouponCard:
    if user_coupon is None:
        status = ""
        valid_from, valid_until = template.valid_from, template.valid_until
        validity = _template_validity(template)
    else:
        status = shown_status(user_coupon, now=now or clock.now())
        valid_from, valid_until = user_coupon.valid_from, user_coupon.valid_until
        if valid_from > (now or clock.now()):
            validity = _("Valid %(start)s to %(end)s") % {
                "start": _day(valid_from),
                "end": _day(valid_until),
            }
        else:
            validity = _("Valid until %(date)s") % {"date": _day(valid_until)}
    return CouponCard(
        id=user_coupon.pk if user_coupon is not None else template.pk,
        template_id=template.pk,
        name=localized(template.name, template.name_en),
        kind=template.kind,
        headline=_headline(template),
        condition=_condition(template),
        scope_label=_scope_label(template, category_names),
        currency=template.currency,
        status=status,
        valid_from=valid_from,
        valid_until=valid_until,
        validity=validity,
    )


def shown_status(user_coupon: UserCoupon, *, now: datetime) -> str:
    """An available coupon past its window reads as expired before the sweep marks it."""
    if user_coupon.status == CouponStatus.AVAILABLE and user_coupon.valid_until <= now:
        return CouponStatus.EXPIRED
    return user_coupon.status


def _with_categories(query: QuerySet[Any]) -> QuerySet[Any]:
    return query.prefetch_related("categories")


def _names_for(templates: Iterable[CouponTemplate]) -> dict[int, str]:
    return _category_names({c.pk for template in templates for c in template.categories.all()})


# --- Claim centre ----------------------------------------------------------------------------


def _claimable_query(now: datetime) -> QuerySet[CouponTemplate]:
    return (
        CouponTemplate.objects.filter(is_active=True, is_public=True)
        .filter(Q(claim_starts_at__isnull=True) | Q(claim_starts_at__lte=now))
        .filter(Q(claim_ends_at__isnull=True) | Q(claim_ends_at__gt=now))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    )


def _claimables(templates: list[CouponTemplate], viewer_id: int | None) -> list[ClaimableCoupon]:
    claimed: dict[int, int] = {}
    if viewer_id is not None and templates:
        claimed = dict(
            UserCoupon.objects.filter(owner_id=viewer_id, template__in=templates)
            .values("template_id")
            .annotate(count=Count("id"))
            .values_list("template_id", "count")
        )
    names = _names_for(templates)
    return [
        ClaimableCoupon(
            card=_card(template, names),
            remaining=template.remaining,
            claimed_by_viewer=claimed.get(template.pk, 0),
            per_user_limit=template.per_user_limit,
        )
        for template in templates
    ]


def claimable_coupons(*, viewer_id: int | None, limit: int = 50) -> list[ClaimableCoupon]:
    """Public campaigns open for claiming now, newest first, with what the viewer holds."""
    templates = list(_with_categories(_claimable_query(clock.now())).order_by("-id")[:limit])
    return _claimables(templates, viewer_id)


def claimable_coupon(*, template_id: int, viewer_id: int | None) -> ClaimableCoupon | None:
    template = _with_categories(CouponTemplate.objects.filter(pk=template_id, is_public=True))
    rows = list(template)
    return _claimables(rows, viewer_id)[0] if rows else None


# --- My coupons ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MyCouponPage:
    items: list[CouponCard]
    next_cursor: str | None


def _tab_filter(tab: str, now: datetime) -> Q:
    if tab == CouponTab.USED:
        return Q(status__in=[CouponStatus.USED, CouponStatus.LOCKED])
    if tab == CouponTab.EXPIRED:
        return Q(status=CouponStatus.EXPIRED) | Q(
            status=CouponStatus.AVAILABLE, valid_until__lte=now
        )
    return Q(status=CouponStatus.AVAILABLE, valid_until__gt=now)


def my_coupons(
    *, owner_id: int, tab: str = CouponTab.USABLE, cursor: str | None = None, limit: int = 20
) -> MyCouponPage:
    """Usable ones expiring soonest first; used and expired ones newest first."""
    now = clock.now()
    query = (
        UserCoupon.objects.filter(owner_id=owner_id)
        .filter(_tab_filter(tab, now))
        .select_related("template")
        .prefetch_related("template__categories")
    )
    ordering = ("valid_until", "id") if tab == CouponTab.USABLE else ("-id",)
    page = paginate(query, ordering=ordering, cursor=cursor, limit=limit)
    names = _names_for(row.template for row in page.items)
    return MyCouponPage(
        items=[_card(row.template, names, row, now=now) for row in page.items],
        next_cursor=page.next_cursor,
    )


def my_coupon_counts(*, owner_id: int) -> dict[str, int]:
    now = clock.now()
    query = UserCoupon.objects.filter(owner_id=owner_id)
    return {str(tab): query.filter(_tab_filter(tab, now)).count() for tab in CouponTab.values}


def my_coupon(*, owner_id: int, user_coupon_id: int) -> CouponCard | None:
    row = (
        UserCoupon.objects.filter(owner_id=owner_id, pk=user_coupon_id)
        .select_related("template")
        .prefetch_related("template__categories")
        .first()
    )
    if row is None:
        return None
    return _card(row.template, _names_for([row.template]), row)


# --- Checkout --------------------------------------------------------------------------------


def coupon_ids_from_form(data: Any) -> list[int] | None:
    """The coupons chosen in the checkout partial (a QueryDict), or None when the form did not
    carry a choice yet (first visit: preselect the best)."""
    if data.get(FORM_MARKER) != "1":
        return None
    chosen: list[int] = []
    for value in data.getlist("coupon_ids"):
        if str(value).isdigit() and int(value) not in chosen:
            chosen.append(int(value))
    return chosen[: calculation.MAX_COUPONS]


def _held_rows(owner_id: int, now: datetime) -> list[UserCoupon]:
    """The owner's coupons that could serve an order now (available, window not over)."""
    return list(
        UserCoupon.objects.filter(
            owner_id=owner_id, status=CouponStatus.AVAILABLE, valid_until__gt=now
        )
        .select_related("template")
        .prefetch_related("template__categories")
        .order_by("valid_until", "id")[:50]
    )


def _base(
    *, buyer_id: int, items: Sequence[QuoteItem], region: str, shipping_method: str
) -> tuple[Quote, PricingContext, calculation.ShippingTerms]:
    quote = pricing.quote(
        items=items, buyer_id=buyer_id, region=region, shipping_method=shipping_method
    )
    context = PricingContext(
        buyer_id=buyer_id,
        region=quote.region,
        shipping_method=quote.shipping_method,
        currency=quote.currency,
        lines=list(quote.lines),
        shipping_fee=quote.shipping_base,
        adjustments=[],
        options={},
    )
    rule = pricing_selectors.shipping_rule(region=quote.region, method=quote.shipping_method)
    return quote, context, calculation.ShippingTerms(fee=rule.fee, free_over=rule.free_over)


def best_coupons(
    *,
    buyer_id: int,
    items: Sequence[QuoteItem],
    region: str = "",
    shipping_method: str = "standard",
) -> BestCoupons:
    """The combination of my coupons that makes this basket cheapest."""
    now = clock.now()
    quote, base, shipping = _base(
        buyer_id=buyer_id, items=items, region=region, shipping_method=shipping_method
    )
    held = _terms_of(_held_rows(buyer_id, now))
    usable, _refused = calculation.usable_for_basket(
        base, held, now=now, is_new_buyer=_new_if_needed(buyer_id, held)
    )
    outcome = calculation.best_combination(base, usable, shipping)
    return BestCoupons(
        coupon_ids=list(outcome.coupon_ids),
        saving=quote.total - outcome.total,
        total=outcome.total,
        currency=quote.currency,
    )


def _new_if_needed(buyer_id: int, coupons: Sequence[CouponTerms]) -> bool:
    return is_new_buyer(buyer_id) if any(t.is_new_users_only for t in coupons) else True


def checkout_coupon_choices(
    *,
    buyer_id: int,
    items: Sequence[QuoteItem],
    selected_ids: Sequence[int] | None = None,
    region: str = "",
    shipping_method: str = "standard",
) -> CheckoutCoupons:
    """My coupons for this basket, grouped by stacking group (one radio set each), with the
    shopper's choice — or, when `selected_ids` is None, the best combination — selected."""
    now = clock.now()
    try:
        quote, base, shipping = _base(
            buyer_id=buyer_id, items=items, region=region, shipping_method=shipping_method
        )
    except DomainError:  # the checkout page shows the quote's own refusal
        return CheckoutCoupons(groups=[], selected_ids=[], saving=0, currency="CNY")
    held_rows = _held_rows(buyer_id, now)
    held = _terms_of(held_rows)
    usable, refused = calculation.usable_for_basket(
        base, held, now=now, is_new_buyer=_new_if_needed(buyer_id, held)
    )
    if selected_ids is None:
        best = calculation.best_combination(base, usable, shipping)
        chosen = list(best.coupon_ids)
    else:
        chosen = [i for i in selected_ids if i in {t.user_coupon_id for t in held}]
    usable_ids = {terms.user_coupon_id for terms in usable}
    chosen_usable = [t for t in usable if t.user_coupon_id in chosen]
    saving = 0
    if chosen and len(chosen_usable) == len(chosen):
        try:
            calculation.check_stacking(chosen_usable)
        except DomainError:
            pass
        else:
            saving = quote.total - calculation.simulate(base, chosen_usable, shipping).total
    rows = {row.pk: row for row in held_rows}
    names = _names_for(row.template for row in rows.values())
    groups: dict[str, list[CouponChoice]] = {}
    unusable: list[CouponChoice] = []
    for terms in held:
        card = _card(rows[terms.user_coupon_id].template, names, rows[terms.user_coupon_id])
        is_usable = terms.user_coupon_id in usable_ids
        refusal = refused.get(terms.user_coupon_id)
        choice = CouponChoice(
            card=card,
            group=terms.group,
            is_applicable=is_usable,
            reason=str(refusal.message) if refusal is not None else "",
            saving=(quote.total - calculation.simulate(base, [terms], shipping).total)
            if is_usable
            else 0,
            is_selected=terms.user_coupon_id in chosen,
        )
        if is_usable:
            groups.setdefault(terms.group, []).append(choice)
        else:
            unusable.append(choice)
    return CheckoutCoupons(
        groups=[
            CouponChoiceGroup(
                group=group,
                choices=sorted(choices, key=lambda c: (-c.saving, c.card.id)),
            )
            for group, choices in sorted(groups.items())
        ],
        selected_ids=chosen,
        saving=saving,
        currency=quote.currency,
        unusable=unusable,
    )


def claim_counts(*, template_ids: Iterable[int]) -> dict[int, int]:
    """How many coupons shoppers claimed of each template (used or not), e.g. a live room's."""
    rows = (
        UserCoupon.objects.filter(template_id__in=list(template_ids))
        .values("template_id")
        .annotate(claims=Count("id"))
        .values_list("template_id", "claims")
    )
    return {int(template_id): int(claims) for template_id, claims in rows}


def unlisted_coupons(
    *, template_ids: Iterable[int], viewer_id: int | None
) -> dict[int, UnlistedCoupon]:
    """Non-public campaigns by id (a live room's coupons): their terms, how many are left and
    how many the viewer holds; unknown ids are absent. Two queries at most."""
    rows = list(
        CouponTemplate.objects.filter(pk__in=list(template_ids), is_public=False).only(
            "id",
            "name",
            "name_en",
            "amount",
            "min_spend",
            "total_quantity",
            "claimed_count",
            "currency",
            "is_active",
        )
    )
    held: dict[int, int] = {}
    if viewer_id is not None and rows:
        held = dict(
            UserCoupon.objects.filter(owner_id=viewer_id, template__in=rows)
            .values("template_id")
            .annotate(count=Count("id"))
            .values_list("template_id", "count")
        )
    return {
        row.pk: UnlistedCoupon(
            template_id=row.pk,
            name=row.name,
            name_en=row.name_en,
            amount=row.amount,
            min_spend=row.min_spend,
            currency=row.currency,
            quantity=row.total_quantity,
            remaining=row.remaining,
            claimed_by_viewer=held.get(row.pk, 0),
            is_active=row.is_active,
        )
        for row in rows
    }
