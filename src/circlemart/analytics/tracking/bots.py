"""Bots: by user agent (crawlers, headless browsers, HTTP libraries) and by behaviour (more
events per minute than a person makes, or page after page at machine speed).

A bot's client events are not stored; its session row is kept with is_bot=True so traffic
numbers can show how much was filtered. Sessions flagged by behaviour keep the events stored
before the flag — metrics exclude events whose session is_bot (join on session_id).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

_BOT_AGENT = re.compile(
    r"bot\b|bot/|spider|crawl|slurp|headless|phantomjs|puppeteer|playwright-bot|selenium|"
    r"python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java/|libwww|"
    r"curl/|wget/|scrapy|node-fetch|axios/|lighthouse|pingdom|uptime|monitor|preview|"
    r"baiduspider|googlebot|bingbot|360spider|yisouspider|bytespider|petalbot|"
    r"yandex|duckduckbot|facebookexternalhit|twitterbot|applebot|semrush|ahrefs|mj12",
    re.IGNORECASE,
)
# A page view this soon after the previous one in the same visit is "machine speed".
FAST_PAGE_VIEW_SECONDS = 1.0


def is_bot_user_agent(user_agent: str) -> bool:
    """Crawlers and tools say who they are; an empty user agent is no browser either."""
    agent = user_agent.strip()
    return not agent or _BOT_AGENT.search(agent) is not None


def _count(key: str, amount: int, *, window: int = 60) -> int:
    cache.add(key, 0, timeout=window + 1)
    try:
        return int(cache.incr(key, amount))
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout=window + 1)
        return amount


def behaviour_check(
    *,
    anonymous_id: str,
    session_id: str,
    now: datetime,
    event_count: int,
    page_view_times: Sequence[datetime],
) -> bool:
    """Count this batch against the browser's per-minute event budget and its run of
    machine-speed page views; True once either passes its threshold
    (ANALYTICS_BOT_EVENTS_PER_MINUTE events within a minute, or
    ANALYTICS_BOT_FAST_PAGE_VIEWS page views each under a second after the previous)."""
    minute = int(now.timestamp()) // 60
    events = _count(f"analytics:bot:rate:{anonymous_id}:{minute}", event_count)
    if events > settings.ANALYTICS_BOT_EVENTS_PER_MINUTE:
        return True
    if not page_view_times:
        return False
    run_key = f"analytics:bot:pv:{session_id}"
    state = cache.get(run_key) or (None, 0)
    last, run = state
    for moment in sorted(page_view_times):
        stamp = moment.timestamp()
        fast = last is not None and 0 <= stamp - last < FAST_PAGE_VIEW_SECONDS
        run = run + 1 if fast else 0
        last = stamp
    cache.set(run_key, (last, run), timeout=3600)
    return run >= settings.ANALYTICS_BOT_FAST_PAGE_VIEWS
