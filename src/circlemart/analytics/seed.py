"""Demo history for analytics: 90 days of visits (sources, page and product views, carts,
searches, dwell, a few bots), registrations spread over the period, and channel spend —
so the dashboards of a fresh `make run` show a living shop, not one day of seeding.

Deterministic for a seed; a second run adds nothing (JobCursor "seed.analytics").
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from tqdm import tqdm

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.goals.seed import demo_goals_create
from circlemart.analytics.goals.services import goals_evaluate_all
from circlemart.analytics.metrics.services import daily_metrics_rollup_chunked
from circlemart.analytics.models import (
    ChannelSpend,
    Event,
    JobCursor,
    TrackedSession,
    TrackingConsent,
)
from circlemart.analytics.services import events_record
from circlemart.analytics.warehouse import duck
from circlemart.analytics.warehouse.export import events_export
from circlemart.core import clock
from circlemart.orders import selectors as order_selectors

HISTORY_DAYS = 90
SEED_JOB = "seed.analytics"
SOURCES = [  # (source, share of visits, referrer host, utm)
    ("direct", 0.34, "", {}),
    ("search", 0.20, "www.baidu.com", {}),
    ("social", 0.18, "weibo.com", {}),
    ("share", 0.14, "", {}),
    ("campaign", 0.09, "", {"utm_source": "newsletter", "utm_campaign": "double-12"}),
    ("ad", 0.05, "", {"utm_source": "ocean", "utm_medium": "cpc", "utm_campaign": "brand"}),
]
SEARCH_TERMS = ["耳机", "headphones", "连衣裙", "咖啡", "running shoes", "面霜", "backpack", "茶"]
NAMESPACE = uuid.UUID("6f1d3c1e-7b55-4d38-9d0e-5c9a4f0e2b11")


def seed_analytics(
    *, rng: random.Random, user_ids: list[int], product_ids: list[int], progress: bool = True
) -> int:
    """Record the demo history; returns how many events were stored (0 when already seeded)."""
    if not user_ids or not product_ids or JobCursor.objects.filter(job=SEED_JOB).exists():
        return 0
    # The demo shoppers accepted the tracking banner (the demo staff did not decide).
    TrackingConsent.objects.bulk_create(
        [TrackingConsent(user_id=user, allowed=True, decided_at=clock.now()) for user in user_ids],
        ignore_conflicts=True,
    )
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=HISTORY_DAYS)
    joined = _registration_days(rng, user_ids)
    stored = events_record(list(_registrations(joined, start)), historical=True).stored
    days: Iterator[int] = iter(range(HISTORY_DAYS + 1))
    if progress:
        days = tqdm(days, total=HISTORY_DAYS + 1, desc="analytics history", unit="day")
    for offset in days:
        day = start + timedelta(days=offset)
        members = [user for user, joined_on in joined.items() if joined_on <= offset]
        events, sessions = _visits_of_day(rng, day, offset, members, product_ids)
        TrackedSession.objects.bulk_create(sessions, ignore_conflicts=True)
        stored += events_record(events, historical=True).stored
        _spend_of_day(rng, day)
    _retime_order_events()
    stored += _visits_before_orders(rng)
    JobCursor.objects.create(job=SEED_JOB, position=stored)
    return stored


# Which order time each order event happened at.
ORDER_EVENT_TIMES = {
    "order_placed": "placed_at",
    "order_paid": "paid_at",
    "order_cancelled": "cancelled_at",
    "order_shipped": "shipped_at",
    "order_delivered": "delivered_at",
    "order_completed": "completed_at",
}


def _retime_order_events() -> None:
    """The demo orders were made a moment ago and then spread over the past by the orders
    seeder; their events (recorded live through the outbox) follow them to those times, so the
    dashboards show the orders where the order pages do. Demo seeding only: in a real shop
    an event's time is when it happened."""
    for order in order_selectors.orders_for_analytics():
        for name, field in ORDER_EVENT_TIMES.items():
            when = order.get(field)
            if when is None:
                continue
            Event.objects.filter(name=name, object_id=order["number"]).update(occurred_at=when)
            if name == "order_paid":
                Event.objects.filter(
                    name__in=("product_sold", "coupon_used"), properties__order=order["number"]
                ).update(occurred_at=when)


def _registration_days(rng: random.Random, user_ids: list[int]) -> dict[int, int]:
    """Sign-ups that accelerate over the period (day offsets), as a growing shop's do."""
    return {
        user: min(HISTORY_DAYS, int(HISTORY_DAYS * math.sqrt(rng.random()))) for user in user_ids
    }


def _registrations(joined: dict[int, int], start: datetime) -> Iterator[EventRecord]:
    for user, offset in joined.items():
        at = start + timedelta(days=offset, minutes=(user * 37) % 1380)
        yield EventRecord(
            name="user_registered",
            occurred_at=at,
            event_id=uuid.uuid5(NAMESPACE, f"registered:{user}"),
            user_id=user,
            object_id=str(user),
            properties={"method": "phone" if user % 3 else "email"},
        )


def _visits_of_day(
    rng: random.Random, day: datetime, offset: int, members: list[int], product_ids: list[int]
) -> tuple[list[EventRecord], list[TrackedSession]]:
    weekend = 1.25 if day.weekday() >= 5 else 1.0
    visits = int((60 + offset * 1.6) * weekend * rng.uniform(0.85, 1.15))
    events: list[EventRecord] = []
    sessions: list[TrackedSession] = []
    for number in range(visits):
        session_id = f"demo-{day:%Y%m%d}-{number}"
        user = rng.choice(members) if members and rng.random() < 0.7 else None
        anonymous_id = f"demo-{user}" if user else f"demo-visitor-{rng.randrange(10**9)}"
        at = day + timedelta(minutes=rng.randrange(7 * 60, 23 * 60))
        is_bot = rng.random() < 0.02
        session_events = _session_events(rng, at, product_ids, is_bot=is_bot)
        source, _, host, utm = rng.choices(SOURCES, weights=[s[1] for s in SOURCES])[0]
        sessions.append(
            TrackedSession(
                session_id=session_id,
                anonymous_id=anonymous_id,
                user_id=user,
                started_at=at,
                last_seen_at=session_events[-1][1] if session_events else at,
                source="direct" if is_bot else source,
                referrer_host=host,
                utm_source=utm.get("utm_source", ""),
                utm_medium=utm.get("utm_medium", ""),
                utm_campaign=utm.get("utm_campaign", ""),
                sharer_id=rng.choice(members) if source == "share" and members else None,
                landing_path="/",
                page_views=sum(1 for name, *_ in session_events if name == "page_view"),
                event_count=len(session_events),
                is_bot=is_bot,
                user_agent="Baiduspider/2.0" if is_bot else "Mozilla/5.0 (demo)",
            )
        )
        if is_bot:
            continue  # bots are recognised and their events are not kept
        for index, (name, when, object_id, properties) in enumerate(session_events):
            events.append(
                EventRecord(
                    name=name,
                    origin="client",
                    occurred_at=when,
                    event_id=uuid.uuid5(NAMESPACE, f"{session_id}:{index}"),
                    user_id=user,
                    anonymous_id=anonymous_id,
                    session_id=session_id,
                    object_id=object_id,
                    properties=properties,
                )
            )
    return events, sessions


def _session_events(
    rng: random.Random, at: datetime, product_ids: list[int], *, is_bot: bool
) -> list[tuple[str, datetime, str, dict[str, object]]]:
    """One visit: pages, product views, sometimes a search and an add-to-cart, dwell."""
    pages = 1 if rng.random() < 0.33 else rng.randint(2, 9)
    if is_bot:
        pages = rng.randint(15, 40)
    out: list[tuple[str, datetime, str, dict[str, object]]] = []
    when = at
    for page in range(pages):
        if page == 1 and rng.random() < 0.3:
            term = rng.choice(SEARCH_TERMS)
            out.append(("search", when, "", {"query": term, "results": rng.randint(0, 60)}))
        product = rng.choice(product_ids)
        is_product = page > 0 and rng.random() < 0.65
        path = f"/p/{product}/" if is_product else "/"
        out.append(("page_view", when, path, {"path": path}))
        if is_product:
            out.append(("product_view", when, str(product), {"path": path}))
            if rng.random() < 0.12:
                out.append(("add_to_cart", when, str(product), {"quantity": 1}))
        stay = rng.randint(4, 180) if not is_bot else 0
        out.append(
            ("dwell", when + timedelta(seconds=stay), path, {"path": path, "ms": stay * 1000})
        )
        when += timedelta(seconds=stay + rng.randint(1, 20))
    return out


def _spend_of_day(rng: random.Random, day: datetime) -> None:
    for channel, campaign, base in (("ad", "brand", 30_000), ("campaign", "double-12", 12_000)):
        ChannelSpend.objects.get_or_create(
            day=day.date(),
            channel=channel,
            campaign=campaign,
            defaults={"amount": int(base * rng.uniform(0.7, 1.3)), "currency": "CNY"},
        )


def seed_analytics_results(*, owner_email: str, progress: bool = True) -> None:
    """Export the history to the warehouse, roll up its daily metrics, and set the demo
    growth goals (owned by the demo analyst) with their first evaluation."""
    # Seeding is the only writer now, so nothing can commit late: no grace period (on
    # PostgreSQL the export would otherwise hold back the events of the last minute).
    events_export(grace=timedelta(0))
    duck.sync()
    today = timezone.localdate(clock.now())
    start = today - timedelta(days=HISTORY_DAYS + 1)

    def report(chunk_start: object, chunk_end: object, rows: int) -> None:
        if progress:
            print(f"daily metrics {chunk_start} … {chunk_end}: {rows} rows")

    daily_metrics_rollup_chunked(start=start, end=today, progress=report)
    owner_id = (
        get_user_model().objects.filter(email=owner_email).values_list("pk", flat=True).first()
    )
    demo_goals_create(owner_id)
    goals_evaluate_all()


def _visits_before_orders(rng: random.Random) -> int:
    """The visit in which each demo order was placed (its buyer signed in, landing, viewing
    the products bought, adding them to the cart), so conversion and funnels have buyers."""
    sessions: list[TrackedSession] = []
    events: list[EventRecord] = []
    for order in order_selectors.orders_for_analytics():
        placed: datetime = order["placed_at"]
        buyer = order["buyer_id"]
        session_id = f"demo-order-{order['number']}"
        start = placed - timedelta(minutes=rng.randint(4, 25))
        source, _, host, utm = rng.choices(SOURCES, weights=[s[1] for s in SOURCES])[0]
        products = list(
            Event.objects.filter(name="product_sold", properties__order=order["number"])
            .values_list("object_id", flat=True)
            .distinct()
        )
        steps: list[tuple[str, str, dict[str, object]]] = [("page_view", "/", {"path": "/"})]
        for product in products:
            path = f"/p/{product}/"
            steps += [
                ("page_view", path, {"path": path}),
                ("product_view", product, {"path": path}),
                ("add_to_cart", product, {"quantity": 1}),
            ]
        steps.append(("page_view", "/cart/", {"path": "/cart/"}))
        gap = (placed - start) / len(steps)
        for index, (name, object_id, properties) in enumerate(steps):
            events.append(
                EventRecord(
                    name=name,
                    origin="client",
                    occurred_at=start + gap * index,
                    event_id=uuid.uuid5(NAMESPACE, f"{session_id}:{index}"),
                    user_id=buyer,
                    anonymous_id=f"demo-{buyer}",
                    session_id=session_id,
                    object_id=object_id,
                    properties=properties,
                )
            )
        sessions.append(
            TrackedSession(
                session_id=session_id,
                anonymous_id=f"demo-{buyer}",
                user_id=buyer,
                started_at=start,
                last_seen_at=placed,
                source=source,
                referrer_host=host,
                utm_source=utm.get("utm_source", ""),
                utm_medium=utm.get("utm_medium", ""),
                utm_campaign=utm.get("utm_campaign", ""),
                landing_path="/",
                page_views=sum(1 for name, *_ in steps if name == "page_view"),
                event_count=len(steps),
                user_agent="Mozilla/5.0 (demo)",
            )
        )
    TrackedSession.objects.bulk_create(sessions, ignore_conflicts=True)
    return events_record(events, historical=True).stored
