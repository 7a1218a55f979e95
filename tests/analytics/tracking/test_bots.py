"""Bots: known user agents, and browsers that behave like machines (too many events a
minute, page after page with no dwell)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from circlemart.analytics.contracts import EventRecord
from circlemart.analytics.models import Event, TrackedSession
from circlemart.analytics.tracking import services
from circlemart.analytics.tracking.bots import is_bot_user_agent
from circlemart.analytics.tracking.sources import SourceInfo
from circlemart.core import clock

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0"


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Sogou web spider/4.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
        "python-requests/2.31.0",
        "curl/8.4.0",
        "Wget/1.21",
        "Scrapy/2.11 (+https://scrapy.org)",
        "facebookexternalhit/1.1",
        "",
    ],
)
def test_crawlers_and_tools_are_bots(agent: str) -> None:
    assert is_bot_user_agent(agent)


@pytest.mark.parametrize(
    "agent",
    [
        BROWSER,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile SogouMSE",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari",
    ],
)
def test_browsers_are_not_bots(agent: str) -> None:
    assert not is_bot_user_agent(agent)


def _session() -> str:
    return services.session_start(
        anonymous_id="c" * 32,
        user_id=None,
        now=clock.now(),
        source=SourceInfo(source="direct"),
        user_agent=BROWSER,
    )


def _page_views(session_id: str, count: int, *, gap_seconds: float) -> list[EventRecord]:
    start = clock.now() - timedelta(minutes=5)
    return [
        EventRecord(
            name="page_view",
            origin="client",
            occurred_at=start + timedelta(seconds=gap_seconds * index),
            event_id=uuid.uuid4(),
            anonymous_id="c" * 32,
            session_id=session_id,
            properties={"path": f"/p/{index}/"},
        )
        for index in range(count)
    ]


def _record(session_id: str, records: list[EventRecord]) -> services.ClientBatchResult:
    return services.client_events_record(
        records=records,
        session_id=session_id,
        anonymous_id="c" * 32,
        user_agent=BROWSER,
        allowed=True,
    )


@pytest.mark.django_db
class TestBehaviour:
    def test_a_person_reading_pages_is_not_flagged(self) -> None:
        session_id = _session()

        result = _record(session_id, _page_views(session_id, 8, gap_seconds=20))

        assert result.stored == 8
        assert TrackedSession.objects.get().is_bot is False

    def test_page_views_at_machine_speed_flag_the_visit(self, settings: object) -> None:
        settings.ANALYTICS_BOT_FAST_PAGE_VIEWS = 5  # type: ignore[attr-defined]
        session_id = _session()

        result = _record(session_id, _page_views(session_id, 6, gap_seconds=0.2))

        assert (result.stored, result.ignored) == (0, 6)
        assert TrackedSession.objects.get().is_bot is True
        assert Event.objects.count() == 0

    def test_a_flagged_visit_stores_nothing_more(self) -> None:
        session_id = _session()
        TrackedSession.objects.update(is_bot=True)

        result = _record(session_id, _page_views(session_id, 1, gap_seconds=1))

        assert result.ignored == 1
        assert Event.objects.count() == 0

    def test_too_many_events_in_a_minute_flag_the_browser(self, settings: object) -> None:
        settings.ANALYTICS_BOT_EVENTS_PER_MINUTE = 10  # type: ignore[attr-defined]
        session_id = _session()

        first = _record(session_id, _page_views(session_id, 6, gap_seconds=30))
        second = _record(session_id, _page_views(session_id, 6, gap_seconds=30))

        assert (first.stored, second.stored, second.ignored) == (6, 0, 6)
        assert TrackedSession.objects.get().is_bot is True
        assert Event.objects.count() == 6
