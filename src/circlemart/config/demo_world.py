"""The demo logins' own world, seeded last by `seed-demo`: what the README's shopper, creator
and moderator see when they sign in.

- shopper: two addresses (one default), follows active creators (a following feed), followers,
  notes that were liked and commented on (an inbox), claimed coupons (usable, one expiring
  soon, one used), orders in every state, a review, a group buy with one seat left and a
  bargain friends have started cutting;
- creator: follows active creators, has followers and notes with likes and comments;
- moderator: a queue of reported notes, comments and reviews.

Everything goes through the apps' services, with the events they publish relayed to their
handlers as the worker would (inbox items, points, feed fan-out). A second run adds nothing:
the shopper's orders mark the world as made.
"""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Sum

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts import services as account_services
from circlemart.accounts.seed import demo_email
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.core.events import relay_pending
from circlemart.core.progress import progress as with_progress
from circlemart.moderation.seed import seed_reports
from circlemart.orders import aftersales
from circlemart.orders import services as order_services
from circlemart.orders.contracts import OrderStatus
from circlemart.orders.models import Order, OrderLine
from circlemart.orders.seed import _committed, _Seeder, demo_pay, payments_in_process, step
from circlemart.promotions.bargain import services as bargain_services
from circlemart.promotions.bargain.models import BargainDeal
from circlemart.promotions.coupons import services as coupon_services
from circlemart.promotions.coupons.contracts import CouponStatus
from circlemart.promotions.coupons.models import CouponTemplate, UserCoupon
from circlemart.promotions.group import services as group_services
from circlemart.promotions.group.models import GroupDeal
from circlemart.promotions.seed import COUPONS, EXPIRING_COUPON
from circlemart.reviews import services as review_services
from circlemart.reviews.models import Review
from circlemart.social import services as social_services
from circlemart.social.contracts import NoteInput
from circlemart.social.covers import CoverText, text_cover
from circlemart.social.models import Comment, Note

logger = logging.getLogger(__name__)

WORLD_KEY_PREFIX = "demo-world:"
LOGIN_NAMES = ("shopper", "creator", "moderator", "merchant")
# What the shopper's orders become, one each, in this order (the index is the order's key).
SHOPPER_ORDERS = (
    "completed_with_coupon",
    "pending_payment",
    "paid",
    "shipped",
    "delivered",
    "completed",
    "reviewed",
    "cancelled",
    "auto_cancelled",
    "refunding",
    "refunded",
    "requested",
)
# How orders_seed's plans make each of them before the step of its own.
BASE_PLAN = {
    "completed_with_coupon": "completed",
    "reviewed": "completed",
    "auto_cancelled": "pending_payment",
    "refunding": "paid",
}
SHOPPER_ADDRESSES = (
    ("小明", "上海", "上海市", "徐汇区", "漕溪北路 88 号 12 楼 1203 室", "家", True),
    ("小明", "上海", "上海市", "浦东新区", "世纪大道 100 号 环球金融中心 35 层", "公司", False),
)
CREATOR_ADDRESS = (
    "林小草",
    "浙江",
    "杭州市",
    "西湖区",
    "文三路 477 号 华星科技大厦 6 楼",
    "工作室",
)
FOLLOWS_OF_EACH_LOGIN = 8
FOLLOWERS_OF_CREATOR = 36
FOLLOWERS_OF_SHOPPER = 6
CREATOR_NOTES = (
    (
        "秋冬通勤穿搭｜一件大衣穿出 5 种风格",
        "降温之后每天最纠结的就是穿什么。这件羊毛大衣我从 10 月穿到现在，配卫衣是休闲风，配衬衫"
        "和西裤就是通勤风，周末配长裙也完全不违和。\n\n尺码参考：160cm / 48kg，穿 S 码刚好，"
        "肩线不会塌。颜色选的燕麦色，比图片更温柔一点。\n\n#ootd #好物分享",
    ),
    (
        "Desk setup tour: a calm corner for long workdays",
        "I rebuilt my desk this month around three rules: one screen, warm light, nothing on the "
        "desk I don't touch every day. The lamp and the mechanical keyboard below made the "
        "biggest difference, and the cable tray hides the mess for under ¥50.\n\n#数码 #开箱",
    ),
    (
        "在家做一杯像样的手冲咖啡｜新手器具清单",
        "从挂耳换到手冲，最开始只需要三样：手冲壶、滤杯、电子秤。磨豆机可以晚点再买，先买新鲜"
        "烘焙的豆子让店家帮忙磨好。\n\n我的比例是 1:15，水温 92 度，三段注水，两分半左右结束。"
        "酸甜平衡，周末早上最治愈的 10 分钟。\n\n#咖啡探店 #好物分享",
    ),
    (
        "Weekend camping checklist (tested in the rain)",
        "Two nights by the lake, one of them with proper rain. What earned its place: the "
        "folding chair, the 3-season tent, a headlamp with a red mode and far too many snacks. "
        "What stayed in the bag: the hammock. Full list in the photos.\n\n#周末去哪儿 #旅行",
    ),
)
SHOPPER_NOTES = (
    (
        "第一次拼团成功！三个人一起买真的香",
        "和室友一起拼了这款，到手价比平时便宜了快一半，发货也很快，包装完好。下次还想拼零食。"
        "\n\n#好物分享",
    ),
    (
        "Honest review after one month of daily use",
        "Bought it on a flash sale and used it every day since. Solid build, battery lasts about "
        "a week, the app is fine. Would buy again at this price.\n\n#开箱",
    ),
)
COMMENTS = (
    "好实用的分享，已收藏！",
    "求同款链接～",
    "这个颜色也太好看了吧",
    "Thanks for the tips, super helpful!",
    "我也在用，确实不错",
    "Where is this from?",
    "码住，周末试试",
)
REVIEWS = (
    (5, "质量很好，和描述一致，物流也很快，会回购。"),
    (5, "Great quality, arrived in two days, exactly as pictured."),
    (4, "整体满意，包装可以再用心一点。"),
    (5, "第二次买了，家里人都说好用。"),
    (4, "Good value for the price. The colour is a little darker than the photos."),
    (3, "一般般吧，做工还行，但是有点小瑕疵。"),
)
# (headline, sticker, small line) of each note's cover, in the order of the notes above.
COVER_TEXTS = (
    ("一件大衣五种穿法", "干货", "收藏备用"),
    ("Desk setup tour", "Must try", "save for later"),
    ("新手手冲器具清单", "必看", "码住慢慢看"),
    ("Rain-proof camping list", "Tested", "weekend ready"),
    ("第一次拼团成功啦", "好物", "真的香"),
    ("One month, honest review", "Honest", "worth it?"),
)


@dataclass(frozen=True)
class Logins:
    shopper: Any
    creator: Any
    moderator: Any
    merchant: Any


def _logins() -> Logins | None:
    users = {
        user.email: user
        for user in get_user_model().objects.filter(
            email__in=[demo_email(name) for name in LOGIN_NAMES]
        )
    }
    found = [users.get(demo_email(name)) for name in LOGIN_NAMES]
    if any(user is None for user in found):
        return None
    return Logins(*found)


def world_exists(shopper_id: int) -> bool:
    return Order.objects.filter(
        buyer_id=shopper_id, idempotency_key__startswith=WORLD_KEY_PREFIX
    ).exists()


@contextmanager
def _quiet_refund_settlement() -> Iterator[None]:
    """The test gateway settles a refund a moment after accepting it (a task); the demo keeps
    one refund in flight, so the shopper sees an order being refunded. The gateway's sweep
    settles it later, as it would a refund whose task was lost."""
    from circlemart.payments.tasks import gateway_settle_refund

    with mock.patch.object(gateway_settle_refund, "delay"):
        yield


def _cover(rng: random.Random, index: int) -> SimpleUploadedFile:
    """A text cover (a big headline, as creators make them; photos are not available offline),
    drawn by the social app's cover maker."""
    headline, tag, subline = COVER_TEXTS[index % len(COVER_TEXTS)]
    picture = text_cover(rng, CoverText(headline=headline, tag=tag, subline=subline), (540, 720))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=88)
    return SimpleUploadedFile(f"cover-{index}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _safely(action: str, service: Callable[..., Any], **kwargs: Any) -> Any:
    """One step of the world (a service call, its events relayed after it); a refusal (sold
    out, a limit) skips it and is logged."""
    try:
        return step(service, **kwargs)
    except DomainError as error:
        logger.info("demo world: %s skipped (%s)", action, error.message)
        return None


class _World:
    def __init__(self, *, rng: random.Random, logins: Logins, user_ids: list[int]) -> None:
        self.rng = rng
        self.logins = logins
        self.user_ids = user_ids
        self.notes: list[int] = []  # the logins' notes
        self.comments: list[int] = []
        self.reviews: list[int] = []

    # --- addresses ---

    def addresses(self) -> int:
        shopper, creator = self.logins.shopper, self.logins.creator
        address_id = account_selectors.default_address_id(shopper.pk)
        if address_id is None:
            for recipient, province, city, district, detail, label, default in SHOPPER_ADDRESSES:
                address = account_services.address_create(
                    user=shopper,
                    data=account_services.AddressInput(
                        recipient=recipient,
                        phone="13800138000",
                        province=province,
                        city=city,
                        district=district,
                        detail=detail,
                        label=label,
                        is_default=default,
                    ),
                )
                if default:
                    address_id = int(address.pk)
        if account_selectors.default_address_id(creator.pk) is None:
            recipient, province, city, district, detail, label = CREATOR_ADDRESS
            account_services.address_create(
                user=creator,
                data=account_services.AddressInput(
                    recipient=recipient,
                    phone="13900139000",
                    province=province,
                    city=city,
                    district=district,
                    detail=detail,
                    label=label,
                    is_default=True,
                ),
            )
        assert address_id is not None
        return address_id

    # --- social ---

    def active_creators(self) -> list[int]:
        rows = (
            Note.objects.filter(author_id__in=self.user_ids, status=Note.Status.PUBLISHED)
            .values("author_id")
            .annotate(notes=Count("id"), like_total=Sum("like_count"))
            .order_by("-like_total", "-notes", "author_id")[: FOLLOWS_OF_EACH_LOGIN * 2]
        )
        return [row["author_id"] for row in rows]

    def follows(self) -> None:
        shopper, creator = self.logins.shopper.pk, self.logins.creator.pk
        creators = self.active_creators()
        for offset, follower in enumerate((shopper, creator)):
            followees = creators[offset : offset + FOLLOWS_OF_EACH_LOGIN]
            if follower == shopper:
                followees = [creator, *followees]
            for followee in followees:
                step(social_services.follow_create, follower_id=follower, followee_id=followee)
        fans = self.rng.sample(self.user_ids, k=min(len(self.user_ids), FOLLOWERS_OF_CREATOR))
        for fan in fans:
            step(social_services.follow_create, follower_id=fan, followee_id=creator)
        for fan in fans[:FOLLOWERS_OF_SHOPPER]:
            step(social_services.follow_create, follower_id=fan, followee_id=shopper)
        # The shopper follows back one of them: a friend.
        if fans:
            step(social_services.follow_create, follower_id=shopper, followee_id=fans[0])

    def write_notes(self) -> None:
        products = [card.id for card in catalog_selectors.hot_products(limit=24)]
        plans = [(self.logins.creator.pk, title, text) for title, text in CREATOR_NOTES]
        plans += [(self.logins.shopper.pk, title, text) for title, text in SHOPPER_NOTES]
        for index, (author_id, title, text) in enumerate(plans):
            tagged = self.rng.sample(products, k=min(len(products), 1 + index % 2))
            note = _safely(
                "a note",
                social_services.note_create,
                author_id=author_id,
                data=NoteInput(
                    title=title,
                    text=text,
                    product_ids=tagged,
                    location=self.rng.choice(["上海", "杭州", ""]),
                ),
                images=[_cover(self.rng, index)],
            )
            if note is not None:
                self.notes.append(note.pk)

    def engage(self) -> None:
        """Likes and comments on the logins' notes: the inbox's likes and comments."""
        for note_id in self.notes:
            for fan in self.rng.sample(self.user_ids, k=min(len(self.user_ids), 12)):
                _safely("a like", social_services.note_like, user_id=fan, note_id=note_id)
            for talker in self.rng.sample(self.user_ids, k=min(len(self.user_ids), 3)):
                comment = _safely(
                    "a comment",
                    social_services.comment_create,
                    author_id=talker,
                    note_id=note_id,
                    text=self.rng.choice(COMMENTS),
                )
                if comment is not None:
                    self.comments.append(comment.pk)

    # --- coupons ---

    def coupons(self) -> int | None:
        """Claims the shop's coupons for the shopper; returns the one to use on an order."""
        shopper = self.logins.shopper.pk
        names = [row[0] for row in COUPONS] + [EXPIRING_COUPON[0]]
        claimed: dict[str, int] = {}
        for template in CouponTemplate.objects.filter(name__in=names).order_by("pk"):
            ref = _safely(
                f"claiming {template.name}",
                coupon_services.coupon_claim,
                user_id=shopper,
                template_id=template.pk,
            )
            if ref is not None:
                claimed[template.name] = ref.id
        return claimed.get(COUPONS[0][0])  # the newcomer's ¥10: used on the first order

    # --- orders ---

    def orders(self, *, address_id: int, coupon_id: int | None) -> None:
        shopper = self.logins.shopper.pk
        seeder = _Seeder(
            rng=self.rng, staff_id=self.logins.merchant.pk, key_prefix=WORLD_KEY_PREFIX
        )
        seeder.load_skus()
        made: list[tuple[int, str]] = []
        for index, plan in enumerate(SHOPPER_ORDERS):
            base = BASE_PLAN.get(plan, plan)
            options = {"coupon_ids": [coupon_id]} if plan == "completed_with_coupon" else None
            if options and coupon_id is None:
                continue
            try:
                order = seeder.make(index, base, shopper, address_id, options)
            except DomainError as error:
                logger.info("demo world: the %s order skipped (%s)", plan, error.message)
                continue
            if order is None:
                continue
            order.refresh_from_db()
            if plan == "reviewed":
                self.review(order)
            elif plan == "auto_cancelled":
                Order.objects.filter(pk=order.pk).update(
                    payment_deadline=clock.now() - timedelta(minutes=1)
                )
                step(order_services.orders_cancel_unpaid)
                base = "cancelled"
            elif plan == "refunding" and order.status == OrderStatus.PAID:
                request = step(
                    aftersales.aftersales_request,
                    buyer_id=shopper,
                    number=order.number,
                    kind="refund_only",
                    reason="changed_mind",
                    detail="拍错了颜色",
                )
                with _quiet_refund_settlement():
                    step(
                        aftersales.aftersales_approve,
                        staff_id=self.logins.merchant.pk,
                        request_id=request.pk,
                    )
                base = "requested"
            made.append((order.pk, base))
        for order_id, base in made:
            seeder.backdate(order_id, base)

    def review(self, order: Order) -> None:
        for line in OrderLine.objects.filter(order=order).order_by("pk"):
            rating, text = REVIEWS[line.pk % 2]
            ref = _safely(
                "a review",
                review_services.review_create,
                author_id=order.buyer_id,
                product_id=line.product_id,
                order_line_id=line.pk,
                rating=rating,
                text=text,
            )
            if ref is not None:
                self.reviews.append(ref.id)

    # --- group buy and bargain ---

    def group_buy(self) -> None:
        """The shopper leads a group with one seat left (others joined and paid)."""
        shopper = self.logins.shopper.pk
        deals = list(GroupDeal.objects.filter(ends_at__gt=clock.now()).order_by("-group_size"))
        members = [uid for uid in self.user_ids if account_selectors.default_address_id(uid)]
        for deal in deals:
            joiners = self.rng.sample(members, k=min(len(members), deal.group_size - 2))
            if len(joiners) < deal.group_size - 2:
                continue
            ref = _safely(
                "opening a group",
                group_services.group_open,
                buyer_id=shopper,
                deal_id=deal.pk,
                address_id=account_selectors.default_address_id(shopper),
            )
            if ref is None or not demo_pay(number=ref.order_number, buyer_id=shopper):
                continue
            for member in joiners:
                joined = _safely(
                    "joining a group",
                    group_services.group_join,
                    buyer_id=member,
                    group_id=ref.group_id,
                    address_id=account_selectors.default_address_id(member),
                )
                if joined is not None:
                    demo_pay(number=joined.order_number, buyer_id=member)
            return

    def bargain(self) -> None:
        """The shopper's bargain, a few friends' cuts in (not yet at the floor)."""
        shopper = self.logins.shopper.pk
        for deal in BargainDeal.objects.filter(ends_at__gt=clock.now()).order_by("pk"):
            ref = _safely(
                "starting a bargain",
                bargain_services.bargain_start,
                deal_id=deal.pk,
                starter_id=shopper,
            )
            if ref is None:
                continue
            helpers = max(1, min(3, deal.helpers_needed - 2))
            bargain_id = ref.bargain_id
            for friend in self.rng.sample(self.user_ids, k=min(len(self.user_ids), helpers)):
                _safely(
                    "a bargain cut",
                    bargain_services.bargain_help,
                    bargain_id=bargain_id,
                    helper_id=friend,
                    rng=random.Random(friend),  # noqa: S311  (a demo's cut, not a secret)
                )
            return

    # --- moderation ---

    def reports(self) -> int:
        """Reports by shoppers on a few notes, comments and reviews: the moderator's queue."""
        notes = list(
            Note.objects.filter(author_id__in=self.user_ids, status=Note.Status.PUBLISHED)
            .order_by("-comment_count", "pk")
            .values_list("pk", flat=True)[:4]
        )
        comments = list(
            Comment.objects.filter(author_id__in=self.user_ids)
            .order_by("pk")
            .values_list("pk", flat=True)[:3]
        )
        reviews = list(
            Review.objects.exclude(author_id=self.logins.shopper.pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:2]
        )
        targets = [("note", pk) for pk in notes] + [("comment", pk) for pk in comments]
        targets += [("review", pk) for pk in reviews]
        return seed_reports(rng=self.rng, reporter_ids=self.user_ids, targets=targets)


def seed_demo_world(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> bool:
    """Seed the demo logins' world; False when it is already there (or cannot be made)."""
    logins = _logins()
    if logins is None or len(user_ids) < 10 or world_exists(logins.shopper.pk):
        return False
    world = _World(rng=rng, logins=logins, user_ids=user_ids)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("follows", world.follows),
        ("notes", world.write_notes),
        ("likes and comments", world.engage),
        ("group buy", world.group_buy),
        ("bargain", world.bargain),
        ("reports", world.reports),
    ]
    with payments_in_process():
        address_id = world.addresses()
        coupon_id = world.coupons()
        orders = partial(world.orders, address_id=address_id, coupon_id=coupon_id)
        steps.insert(0, ("orders", orders))
        for _name, run in with_progress(steps, enabled=progress, desc="demo logins", unit="step"):
            run()
        with _committed():
            relay_pending()
    return True


def coupon_states(user_id: int) -> dict[str, int]:
    """How many of the user's coupons are usable, used and expiring within three days."""
    now = clock.now()
    coupons = UserCoupon.objects.filter(owner_id=user_id)
    return {
        "usable": coupons.filter(status=CouponStatus.AVAILABLE, valid_until__gt=now).count(),
        "used": coupons.filter(status=CouponStatus.USED).count(),
        "expiring": coupons.filter(
            status=CouponStatus.AVAILABLE,
            valid_until__gt=now,
            valid_until__lte=now + timedelta(days=3),
        ).count(),
    }
