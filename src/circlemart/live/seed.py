"""Demo live rooms for `seed-demo`: one room on air now (the demo creator's: six products, one
pinned, a live coupon dropped and claimed, ~40 chat messages, likes, viewers, paid orders placed
in the room), three upcoming rooms by other creators and four replays with their whole history
(chat log, likes, viewer sessions, orders) so their statistics and per-minute charts look real.
They all play a short WebM made here (live.demo_video).

What can happen now goes through the services (create, start, pin, coupon create/drop/claim,
chat, likes, orders placed with the room's attribution and paid through the test gateway);
history that no service may write (a room that ran last week) is written as rows, numbered
like publish() numbers them. Each room is made once (found again by host and title): a second
run adds nothing.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts import services as account_services
from circlemart.accounts.contracts import Role
from circlemart.accounts.seed import demo_email
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.errors import DomainError
from circlemart.inventory import selectors as inventory_selectors
from circlemart.live.demo_video import ensure_demo_video
from circlemart.live.models import (
    MessageKind,
    Room,
    RoomMessage,
    RoomOrder,
    RoomProduct,
    RoomState,
    RoomTransition,
    ViewerSession,
)
from circlemart.live.selectors import rooms as room_selectors
from circlemart.live.services import chat as chat_services
from circlemart.live.services import deals as deal_services
from circlemart.live.services import orders as live_orders
from circlemart.live.services import rooms as room_services
from circlemart.orders import selectors as order_selectors
from circlemart.orders import services as order_services
from circlemart.orders.seed import _Seeder, demo_pay, payments_in_process, step
from circlemart.pricing.contracts import QuoteItem

logger = logging.getLogger(__name__)

ORDER_KEY_PREFIX = "demo-live:"
LIVE_ROOM = (
    "秋冬好物直播间｜新品首发 限时福利",
    "今晚 8 点档：大衣、针织、通勤包，一件一件试给你看。直播间专享券，下单就用。",
)
UPCOMING_ROOMS = (
    ("数码好物开箱夜", "键盘、耳机、桌面灯，实测给你看。", timedelta(hours=3)),
    (
        "Weekend kitchen live: coffee and baking",
        "Hand-brew, pour-over and a cake.",
        timedelta(days=1),
    ),
    ("周末露营装备清单直播", "帐篷、睡袋、折叠椅，一次讲清楚。", timedelta(days=2, hours=4)),
)
# (title, days ago it ended, minutes on air, viewers, chat messages, orders)
REPLAYS = (
    ("双十一返场｜护肤彩妆专场", 1, 42, 70, 120, 4),
    ("Desk setup live: calm corner for long workdays", 2, 34, 45, 80, 3),
    ("母婴好物测评直播", 4, 38, 55, 95, 3),
    ("通勤穿搭一周不重样", 6, 28, 40, 70, 2),
)
LIVE_MINUTES = 25
LIVE_CHAT = (
    "主播好！来啦来啦",
    "这件大衣有几个颜色？",
    "燕麦色好温柔",
    "160 穿什么码合适？",
    "刚领了直播间的券 🎉",
    "求讲一下面料",
    "Is there a size guide?",
    "羊毛含量多少呀",
    "上次买的质量很好，回购",
    "主播身高多少？",
    "黑色还有吗",
    "能不能试一下配长裙",
    "Love this colour!",
    "包邮吗？",
    "已下单，期待！",
    "券怎么用？",
    "好看！链接在哪",
    "Does it come in navy?",
    "第一次来直播间，关注了",
    "这个包能装 14 寸电脑吗",
    "发货快吗",
    "主播讲得好清楚",
    "拍了拍了",
    "Just ordered one!",
    "有没有小码",
    "这个价格太香了",
    "求返场",
    "针织衫起球吗",
    "配色绝了",
    "主播能再展示一下背面吗",
    "冲冲冲",
    "买给妈妈的，她很喜欢",
    "How long is shipping to Shanghai?",
    "有赠品吗",
    "已经抢到券了",
    "上身效果好自然",
    "再来一件！",
    "今天的福利好多",
    "明天还播吗？",
    "爱了爱了 ❤️",
)
REPLAY_CHAT = (
    *LIVE_CHAT,
    "这个色号适合黄皮吗",
    "Bought it last time, great quality",
    "什么时候返场",
    "下单了，顺便安利给室友",
    "主播辛苦了",
    "键盘声音好好听",
    "求链接",
    "宝宝能用吗",
)


@dataclass(frozen=True)
class _Offer:
    product_id: int
    sku_id: int


class _LiveSeeder:
    def __init__(self, *, rng: random.Random, user_ids: list[int], video_url: str) -> None:
        self.rng = rng
        self.user_ids = user_ids
        self.video_url = video_url
        self.now = clock.now()
        self.cards = account_selectors.user_cards(user_ids)
        self.offers = self._offers()

    # --- inputs ---

    def _offers(self) -> list[_Offer]:
        """On-sale products with one in-stock SKU each (the rooms' product lists)."""
        candidates = list(
            inventory_selectors.in_stock_sku_ids()
            .order_by("sku_id")
            .values_list("sku_id", flat=True)[:300]
        )
        available = inventory_selectors.available_by_sku(candidates)
        seen: set[int] = set()
        offers = []
        for sku_id, sku in sorted(catalog_selectors.skus_for_sale(candidates).items()):
            if sku.product_id in seen or available.get(sku_id, 0) < 5:
                continue
            if not getattr(sku, "is_sellable", True) or sku.price > 100_000:
                continue
            seen.add(sku.product_id)
            offers.append(_Offer(product_id=sku.product_id, sku_id=sku_id))
        self.rng.shuffle(offers)
        return offers

    def _take_offers(self, count: int) -> list[_Offer]:
        taken, self.offers = self.offers[:count], self.offers[count:] + self.offers[:count]
        return taken

    def _name(self, user_id: int) -> tuple[str, str]:
        card = self.cards.get(user_id)
        return (card.nickname, card.avatar_url) if card else ("", "")

    # --- rows for history ---

    def _log(
        self,
        room: Room,
        entries: list[tuple[datetime, str, dict[str, Any], int | None]],
    ) -> None:
        """Write (when, kind, payload, user) rows as the room's log, numbered in time order
        after what the room already logged."""
        entries.sort(key=lambda entry: entry[0])
        with transaction.atomic():
            locked = Room.objects.select_for_update().get(pk=room.pk)
            start = locked.last_sequence
            rows = [
                RoomMessage(
                    room_id=room.pk,
                    sequence=start + index,
                    kind=kind,
                    user_id=user_id,
                    payload=payload,
                    created_at=moment,
                )
                for index, (moment, kind, payload, user_id) in enumerate(entries, start=1)
            ]
            created = RoomMessage.objects.bulk_create(rows, batch_size=500)
            Room.objects.filter(pk=room.pk).update(last_sequence=F("last_sequence") + len(rows))
            # created_at is auto_now_add (bulk_create wrote "now"): each row back at its moment.
            for row, (moment, _kind, _payload, _user) in zip(created, entries, strict=True):
                row.created_at = moment
            RoomMessage.objects.bulk_update(created, ["created_at"], batch_size=500)

    def _chat_entry(
        self, moment: datetime, user_id: int, text: str
    ) -> tuple[datetime, str, dict[str, Any], int | None]:
        name, avatar = self._name(user_id)
        payload = {
            "user": {"id": user_id, "name": name, "avatar_url": avatar},
            "text": text,
            "masked": False,
        }
        return moment, MessageKind.CHAT, payload, user_id

    def _sessions(
        self, room: Room, *, start: datetime, end: datetime | None, viewers: int
    ) -> list[int]:
        """Viewer sessions spread over the room's time (some viewers come back); the signed-in
        viewers' ids. `end` None: a room on air (about a third still watching)."""
        horizon = (end or self.now) - start
        users = self.rng.sample(self.user_ids, k=min(len(self.user_ids), viewers))
        anonymous = max(2, viewers // 5)
        rows = []
        for index in range(len(users) + anonymous):
            user_id = users[index] if index < len(users) else None
            key = f"user:{user_id}" if user_id else f"anon:demo-{room.pk}-{index}"
            joined = start + horizon * (self.rng.random() ** 1.6) * 0.9
            stay = timedelta(seconds=self.rng.randint(60, max(61, int(horizon.total_seconds()))))
            left: datetime | None
            if end is not None:
                left = min(joined + stay, end)
            elif self.rng.random() < 0.35 or joined + stay >= self.now:
                left = None
            else:
                left = joined + stay
            rows.append(
                ViewerSession(
                    room_id=room.pk,
                    user_id=user_id,
                    visitor_key=key,
                    joined_at=joined,
                    left_at=left,
                )
            )
            if user_id and self.rng.random() < 0.15 and left is not None:  # came back later
                back = left + timedelta(seconds=self.rng.randint(30, 300))
                if back < (end or self.now):
                    rows.append(
                        ViewerSession(
                            room_id=room.pk,
                            user_id=user_id,
                            visitor_key=key,
                            joined_at=back,
                            left_at=end if end is not None else None,
                        )
                    )
        ViewerSession.objects.bulk_create(rows)
        return users

    def _peak(self, room: Room) -> None:
        from circlemart.live.selectors.stats import room_stats

        chat_services.room_peak_record(room_id=room.pk, viewers=room_stats(room.pk).peak_viewers)

    # --- orders ---

    def _place_paid_order(self, *, room_id: int, buyer_id: int, offer: _Offer, key: str) -> bool:
        """An order placed in the room (attribution live:<id>) and paid through the test
        gateway; the live handler counts it in the room."""
        buyer = get_user_model().objects.get(pk=buyer_id)
        seeder = _Seeder(rng=self.rng, staff_id=buyer_id, key_prefix=ORDER_KEY_PREFIX)
        address_id = seeder.ensure_address(buyer)
        try:
            order = step(
                order_services.order_place,
                buyer_id=buyer_id,
                data=order_services.CheckoutInput(
                    items=[QuoteItem(sku_id=offer.sku_id, quantity=1)],
                    address_id=address_id,
                    idempotency_key=f"{ORDER_KEY_PREFIX}{key}",
                    attribution=live_orders.attribution_for(room_id),
                ),
            )
        except DomainError as error:
            logger.info("demo live order %s not placed: %s", key, error.message)
            return False
        return bool(demo_pay(number=order.number, buyer_id=buyer_id))

    # --- the room on air ---

    def live_room(self, host_id: int, assistant_id: int | None) -> int | None:
        title, description = LIVE_ROOM
        if Room.objects.filter(host_id=host_id, title=title).exists():
            return None
        offers = self._take_offers(6)
        room_id = step(
            room_services.room_create,
            host_id=host_id,
            title=title,
            description=description,
            scheduled_start=self.now + timedelta(minutes=5),
            product_ids=[offer.product_id for offer in offers],
            assistant_ids=[assistant_id] if assistant_id else [],
        )
        started = self.now - timedelta(minutes=LIVE_MINUTES)
        Room.objects.filter(pk=room_id).update(
            video_url=self.video_url, scheduled_start=started - timedelta(minutes=2)
        )
        step(room_services.room_start, actor_id=host_id, room_id=room_id)
        # It went live LIVE_MINUTES ago: its start, its move and its `state` frame say so.
        Room.objects.filter(pk=room_id).update(started_at=started)
        RoomTransition.objects.filter(room_id=room_id).update(created_at=started)
        RoomMessage.objects.filter(room_id=room_id).update(created_at=started)
        room = Room.objects.get(pk=room_id)

        viewers = self._sessions(room, start=started, end=None, viewers=48)
        talkers = viewers[:24] or self.user_ids[:24]
        for index, text in enumerate(LIVE_CHAT):
            user_id = talkers[index % len(talkers)]
            try:
                frame = step(chat_services.chat_post, room_id=room_id, user_id=user_id, text=text)
            except DomainError as error:  # a word filter or limit of this install: skip it
                logger.info("demo live chat skipped: %s", error.message)
                continue
            moment = started + timedelta(minutes=LIVE_MINUTES) * (
                (index + 1) / (len(LIVE_CHAT) + 2)
            )
            RoomMessage.objects.filter(room_id=room_id, sequence=frame["seq"]).update(
                created_at=moment
            )
        for batch in range(12):
            frame = step(
                chat_services.room_likes_add, room_id=room_id, count=self.rng.randint(8, 50)
            )
            if frame is not None:
                moment = started + timedelta(minutes=LIVE_MINUTES) * ((batch + 1) / 13)
                RoomMessage.objects.filter(room_id=room_id, sequence=frame["seq"]).update(
                    created_at=moment
                )

        step(
            deal_services.room_pin_product,
            actor_id=host_id,
            room_id=room_id,
            product_id=offers[0].product_id,
        )
        template_id = step(
            deal_services.room_coupon_create,
            actor_id=host_id,
            room_id=room_id,
            name="直播间专享 满99减20",
            amount=2000,
            min_spend=9900,
            quantity=100,
        )
        step(
            deal_services.room_coupon_drop,
            actor_id=host_id,
            room_id=room_id,
            coupon_template_id=template_id,
        )
        for user_id in viewers[:9]:
            try:
                step(
                    deal_services.room_coupon_claim,
                    user_id=user_id,
                    room_id=room_id,
                    coupon_template_id=template_id,
                )
            except DomainError as error:
                logger.info("demo live coupon claim skipped: %s", error.message)
        for index, buyer_id in enumerate(viewers[-3:]):
            self._place_paid_order(
                room_id=room_id,
                buyer_id=buyer_id,
                offer=offers[index % len(offers)],
                key=f"{room_id}:{index}",
            )
        self._peak(room)
        return room_id

    # --- rooms to come ---

    def upcoming_room(
        self, host_id: int, title: str, description: str, starts_in: timedelta
    ) -> int | None:
        if Room.objects.filter(host_id=host_id, title=title).exists():
            return None
        offers = self._take_offers(self.rng.randint(3, 5))
        room_id = step(
            room_services.room_create,
            host_id=host_id,
            title=title,
            description=description,
            scheduled_start=self.now + starts_in,
            product_ids=[offer.product_id for offer in offers],
        )
        Room.objects.filter(pk=room_id).update(video_url=self.video_url)
        return int(room_id)

    # --- replays: the whole history as rows ---

    def replay_room(
        self,
        host_id: int,
        title: str,
        *,
        days_ago: int,
        minutes: int,
        viewers: int,
        chats: int,
        orders: int,
        paid_orders: list[dict[str, Any]],
    ) -> int | None:
        if Room.objects.filter(host_id=host_id, title=title).exists():
            return None
        evening = timezone.localtime(self.now - timedelta(days=days_ago))
        ended = evening.replace(hour=21, minute=30, second=0, microsecond=0)
        started = ended - timedelta(minutes=minutes)
        offers = self._take_offers(self.rng.randint(4, 6))
        with transaction.atomic():
            room = Room.objects.create(
                host_id=host_id,
                title=title,
                description="直播回放 · Replay",
                video_url=self.video_url,
                replay_url=self.video_url,
                state=RoomState.REPLAY,
                scheduled_start=started,
                started_at=started,
                ended_at=ended,
                reminder_sent_at=started - timedelta(minutes=15),
                pinned_product_id=offers[-1].product_id,
                pinned_at=ended - timedelta(minutes=6),
            )
            RoomProduct.objects.bulk_create(
                RoomProduct(room=room, product_id=offer.product_id, position=position)
                for position, offer in enumerate(offers)
            )
            moves = (
                (started, RoomState.SCHEDULED, RoomState.LIVE),
                (ended, RoomState.LIVE, RoomState.ENDED),
                (ended + timedelta(minutes=20), RoomState.ENDED, RoomState.REPLAY),
            )
            for moment, before, after in moves:
                move = RoomTransition.objects.create(
                    room=room, from_state=before, to_state=after, actor_id=host_id
                )
                RoomTransition.objects.filter(pk=move.pk).update(created_at=moment)
        watchers = self._sessions(room, start=started, end=ended, viewers=viewers)
        span = ended - started
        entries: list[tuple[datetime, str, dict[str, Any], int | None]] = [
            (started, MessageKind.STATE, {"state": "live", "from": "scheduled"}, host_id),
            (ended, MessageKind.STATE, {"state": "ended", "from": "live"}, host_id),
        ]
        cards = {
            card.product_id: card
            for card in room_selectors.product_cards([offer.product_id for offer in offers])
        }
        for position, offer in enumerate(offers):  # each product explained in turn
            card = cards.get(offer.product_id)
            if card is not None:
                moment = started + span * ((position + 0.3) / len(offers))
                entries.append((moment, MessageKind.PIN, {"product": card.as_payload()}, host_id))
        talkers = watchers[: max(6, viewers // 2)] or self.user_ids[:6]
        for _index in range(chats):
            moment = started + span * self.rng.random()
            entries.append(
                self._chat_entry(moment, self.rng.choice(talkers), self.rng.choice(REPLAY_CHAT))
            )
        likes = 0
        for minute in range(minutes):
            delta = self.rng.randint(5, 60)
            likes += delta
            moment = started + timedelta(minutes=minute, seconds=self.rng.randint(0, 59))
            entries.append((moment, MessageKind.LIKES, {"total": likes, "delta": delta}, None))
        for order in paid_orders[:orders]:
            moment = started + span * (0.25 + 0.7 * self.rng.random())
            name, _avatar = self._name(int(order["buyer_id"]))
            money = order_selectors.order_money(order["number"])
            bought = [line.product_id for line in money.lines] if money else []
            titles = catalog_selectors.product_cards(bought[:1]) if bought else []
            RoomOrder.objects.create(
                room=room,
                order_number=order["number"],
                buyer_id=order["buyer_id"],
                total=order["total"],
                currency=order["currency"],
                paid_at=moment,
            )
            entries.append(
                (
                    moment,
                    MessageKind.ORDER,
                    {
                        "buyer": live_orders.mask_name(name),
                        "product_title": titles[0].title if titles else "",
                    },
                    None,
                )
            )
        self._log(room, entries)
        Room.objects.filter(pk=room.pk).update(like_count=likes)
        self._peak(room)
        return int(room.pk)


def _paid_demo_orders(rng: random.Random) -> list[dict[str, Any]]:
    """Paid demo orders not counted in any room yet (the replays' orders: real orders of the
    demo world whose time is moved into the replay's window on the room's side only)."""
    taken = set(RoomOrder.objects.values_list("order_number", flat=True))
    rows = [
        dict(row)
        for row in order_selectors.orders_for_analytics()
        if row["paid_at"] is not None
        and row["cancelled_at"] is None
        and not row["refunded_amount"]
        and row["number"] not in taken
        and not dict(row.get("attribution") or {}).get("source")
    ]
    rng.shuffle(rows)
    return rows


def _other_creators(admin: Any, user_ids: list[int], count: int) -> list[int]:
    """Demo shoppers who become creators (for the upcoming rooms and a replay)."""
    picked = sorted(user_ids)[5 : 5 + count]
    for user in get_user_model().objects.filter(pk__in=picked):
        account_services.role_grant(actor=admin, user=user, role=Role.CREATOR)
    return picked


def seed_live(*, rng: random.Random, user_ids: list[int], progress: bool = True) -> str:
    """Seed the demo rooms; says what it made ("" when everything was already there)."""
    users = {
        user.email: user
        for user in get_user_model().objects.filter(
            email__in=[demo_email(name) for name in ("creator", "moderator", "admin")]
        )
    }
    creator = users.get(demo_email("creator"))
    admin = users.get(demo_email("admin"))
    if creator is None or admin is None or len(user_ids) < 20:
        return ""
    video_url, _made = ensure_demo_video()
    seeder = _LiveSeeder(rng=rng, user_ids=user_ids, video_url=video_url)
    if len(seeder.offers) < 6:
        logger.warning("demo live rooms skipped: not enough products in stock")
        return ""
    moderator = users.get(demo_email("moderator"))
    others = _other_creators(admin, user_ids, 3)
    made: list[int | None] = []
    with payments_in_process():
        made.append(seeder.live_room(creator.pk, moderator.pk if moderator else None))
        for (title, description, starts_in), host_id in zip(UPCOMING_ROOMS, others, strict=True):
            made.append(seeder.upcoming_room(host_id, title, description, starts_in))
    paid = _paid_demo_orders(rng)
    hosts = [creator.pk, others[0], creator.pk, others[1]]
    for (title, days_ago, minutes, viewers, chats, orders), host_id in zip(
        REPLAYS, hosts, strict=True
    ):
        share, paid = paid[:orders], paid[orders:]
        made.append(
            seeder.replay_room(
                host_id,
                title,
                days_ago=days_ago,
                minutes=minutes,
                viewers=viewers,
                chats=chats,
                orders=orders,
                paid_orders=share,
            )
        )
    count = sum(1 for room_id in made if room_id is not None)
    return f"{count} live rooms" if count else ""
