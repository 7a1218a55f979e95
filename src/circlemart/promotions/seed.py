"""Demo promotions: coupons in the claim centre (and a public code), a basket-wide 满减, a flash
session live now and one later today, and group-buy deals with groups filling up (their
leaders and members paid through the test gateway, as shoppers would), and bargain deals
with bargains friends have started cutting. Times are relative to
now, so a fresh `make run` always shows live offers. A second run adds nothing."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.inventory import selectors as inventory_selectors
from circlemart.orders.seed import demo_pay, payments_in_process, step
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.models import BargainDeal
from circlemart.promotions.coupons.contracts import CouponKind
from circlemart.promotions.coupons.models import CouponCode, CouponTemplate, ThresholdDiscount
from circlemart.promotions.flash.models import FlashItem, FlashSession
from circlemart.promotions.group import services as group_services
from circlemart.promotions.group.models import GroupDeal

logger = logging.getLogger(__name__)

COUPONS = (
    # name, English name, kind, amount, percent, max discount, min spend
    ("新人立减 10 元", "¥10 off for newcomers", CouponKind.FIXED, 1000, None, None, 0),
    ("满 199 减 30", "¥30 off ¥199", CouponKind.THRESHOLD, 3000, None, None, 19900),
    ("全场 9 折 最高减 50", "10% off, up to ¥50", CouponKind.PERCENT, 0, 10, 5000, 0),
    ("包邮券", "Free shipping", CouponKind.FREE_SHIPPING, 0, None, None, 0),
)
PUBLIC_CODE = "CIRCLE2026"
# (starts this many hours from the current hour, lasts): one live now, one later today. Each
# session is named after its start in the shop's time zone ("10:00 场"), as shops name them.
FLASH_SESSIONS = (
    (-1, timedelta(hours=6)),
    (8, timedelta(hours=2)),
)
# A coupon whose campaign ends in two days: the demo shopper holds one about to expire.
EXPIRING_COUPON = ("周末限时 满 99 减 15", "Weekend only: ¥15 off ¥99", 1500, 9900)
GROUP_DEALS = 4
BARGAIN_DEALS = 3


def _skus(rng: random.Random, count: int, *, skip: set[int]) -> list[tuple[int, int]]:
    """(sku id, price) of sellable SKUs with stock to spare, picked reproducibly."""
    candidates = [
        sku_id
        for sku_id in inventory_selectors.in_stock_sku_ids()
        .order_by("sku_id")
        .values_list("sku_id", flat=True)[:600]
        if sku_id not in skip
    ]
    available = inventory_selectors.available_by_sku(candidates)
    sale = catalog_selectors.skus_for_sale(candidates)
    usable = [
        (sku_id, sale[sku_id].price)
        for sku_id in candidates
        if sku_id in sale
        and sale[sku_id].is_sellable
        and available.get(sku_id, 0) >= 20
        and sale[sku_id].price >= 2000
    ]
    return rng.sample(usable, k=min(count, len(usable)))


def seed_coupons() -> int:
    made = 0
    now = clock.now()
    for name, name_en, kind, amount, percent, max_discount, min_spend in COUPONS:
        if CouponTemplate.objects.filter(name=name).exists():
            continue
        coupon = CouponTemplate(
            name=name,
            name_en=name_en,
            kind=kind,
            amount=amount,
            percent=percent,
            max_discount=max_discount,
            min_spend=min_spend,
            is_new_users_only=kind == CouponKind.FIXED,
            valid_until=now + timedelta(days=60),
            total_quantity=5000,
        )
        coupon.full_clean(exclude=["categories", "products"])
        coupon.save()
        made += 1
    name, name_en, amount, min_spend = EXPIRING_COUPON
    if not CouponTemplate.objects.filter(name=name).exists():
        CouponTemplate.objects.create(
            name=name,
            name_en=name_en,
            kind=CouponKind.THRESHOLD,
            amount=amount,
            min_spend=min_spend,
            valid_until=now + timedelta(days=2),
            total_quantity=2000,
        )
        made += 1
    if not CouponCode.objects.filter(code=PUBLIC_CODE).exists():
        template = CouponTemplate.objects.create(
            name="口令券 立减 5 元",
            name_en="Code coupon: ¥5 off",
            kind=CouponKind.FIXED,
            amount=500,
            is_public=False,
            valid_until=now + timedelta(days=60),
        )
        CouponCode.objects.create(template=template, code=PUBLIC_CODE)
        made += 1
    if not ThresholdDiscount.objects.exists():
        ThresholdDiscount.objects.create(
            name="满 299 减 40",
            name_en="¥40 off ¥299",
            min_spend=29900,
            amount_off=4000,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
        )
        made += 1
    return made


def session_name(starts_at: datetime) -> str:
    """A flash session's name from its start in the shop's time zone: "10:00 场"."""
    return f"{timezone.localtime(starts_at):%H:%M} 场"


def seed_flash(rng: random.Random) -> int:
    if FlashSession.objects.filter(ends_at__gt=clock.now()).exists():
        return 0
    hour = timezone.localtime(clock.now()).replace(minute=0, second=0, microsecond=0)
    made = 0
    taken: set[int] = set()
    for starts_in, lasts in FLASH_SESSIONS:
        starts_at = hour + timedelta(hours=starts_in)
        session = FlashSession.objects.create(
            name=session_name(starts_at), starts_at=starts_at, ends_at=starts_at + lasts
        )
        for sku_id, price in _skus(rng, 4, skip=taken):
            taken.add(sku_id)
            FlashItem.objects.create(
                session=session,
                sku_id=sku_id,
                flash_price=max(price * rng.choice((40, 50, 60)) // 100, 100),
                flash_stock=rng.choice((10, 20, 50)),
                per_user_limit=1,
            )
            made += 1
    return made


def _open_group_with_members(deal: GroupDeal, shoppers: list[int], members: int) -> None:
    leader, *others = shoppers[: members + 1]
    address = account_selectors.default_address_id(leader)
    if address is None:
        return
    ref = step(group_services.group_open, buyer_id=leader, deal_id=deal.pk, address_id=address)
    if not demo_pay(number=ref.order_number, buyer_id=leader):
        return
    for member in others:
        member_address = account_selectors.default_address_id(member)
        if member_address is None:
            continue
        joined = step(
            group_services.group_join,
            buyer_id=member,
            group_id=ref.group_id,
            address_id=member_address,
        )
        demo_pay(number=joined.order_number, buyer_id=member)


def seed_groups(rng: random.Random, *, user_ids: list[int]) -> int:
    if GroupDeal.objects.filter(ends_at__gt=clock.now()).exists():
        return 0
    now = clock.now()
    with_address = [uid for uid in user_ids if account_selectors.default_address_id(uid)]
    deals = []
    for index, (sku_id, price) in enumerate(_skus(rng, GROUP_DEALS, skip=set())):
        size = (2, 3, 3, 5)[index % 4]
        group_price = max(price * rng.choice((55, 65, 75)) // 100, 100)
        deals.append(
            GroupDeal.objects.create(
                name=f"{size} 人团",
                sku_id=sku_id,
                group_price=group_price,
                leader_price=group_price - group_price // 10 if index % 2 else None,
                group_size=size,
                time_limit_minutes=24 * 60,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=14),
            )
        )
    if len(with_address) < 8:
        return len(deals)
    with payments_in_process():
        for deal in deals:
            for _group in range(2):
                shoppers = rng.sample(with_address, k=deal.group_size)
                try:
                    # Short of full: every demo group is still waiting for a friend or two.
                    _open_group_with_members(deal, shoppers, rng.randrange(deal.group_size - 1))
                except DomainError as error:
                    logger.info("demo group of deal %s not made: %s", deal.pk, error.message)
    return len(deals)


def seed_bargains(rng: random.Random, *, user_ids: list[int]) -> int:
    """Bargain deals, and a few bargains friends have already cut (not yet at the floor)."""
    if BargainDeal.objects.filter(ends_at__gt=clock.now()).exists():
        return 0
    now = clock.now()
    taken = set(GroupDeal.objects.values_list("sku_id", flat=True))
    deals = []
    for sku_id, price in _skus(rng, BARGAIN_DEALS, skip=taken):
        deal = BargainDeal(
            name="砍价免费拿" if price < 5000 else "砍一刀",
            sku_id=sku_id,
            floor_price=max(price // 10, 1),
            helpers_needed=rng.choice((3, 5, 8)),
            duration_hours=24,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=14),
        )
        deal.full_clean()
        deal.save()
        deals.append(deal)
    for deal in deals:
        if len(user_ids) < deal.helpers_needed + 1:
            break
        starter, *friends = rng.sample(user_ids, k=deal.helpers_needed)
        bargain = bargain_services.bargain_start(deal_id=deal.pk, starter_id=starter)
        for friend in friends[: rng.randrange(1, len(friends))]:
            bargain_services.bargain_help(
                bargain_id=bargain.bargain_id, helper_id=friend, rng=random.Random(friend)
            )
    return len(deals)


def seed_promotions(*, rng: random.Random, user_ids: list[int]) -> str:
    """Seeds what is missing; returns what the shop now has (the same after a second run)."""
    with transaction.atomic():
        seed_coupons()
        seed_flash(rng)
    seed_groups(rng, user_ids=user_ids)
    with transaction.atomic():
        seed_bargains(rng, user_ids=user_ids)
    now = clock.now()
    coupons = CouponTemplate.objects.filter(is_active=True).count()
    flash = FlashItem.objects.filter(session__ends_at__gt=now).count()
    deals = GroupDeal.objects.filter(ends_at__gt=now).count()
    bargains = BargainDeal.objects.filter(ends_at__gt=now).count()
    return f"{coupons} coupons, {flash} flash items, {deals} group deals, {bargains} bargain deals"
