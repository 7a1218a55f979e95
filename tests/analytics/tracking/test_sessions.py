"""Visits: 30 minutes of inactivity start a new one; the middleware keeps the anonymous id
and the visit in cookies, only for a browser that accepted tracking, and only on page loads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from circlemart.analytics.models import TrackedSession
from circlemart.analytics.tracking import services
from circlemart.analytics.tracking.middleware import ANONYMOUS_COOKIE, VISIT_COOKIE
from circlemart.analytics.tracking.sources import SourceInfo
from circlemart.core import clock

pytestmark = pytest.mark.django_db

DIRECT = SourceInfo(source="direct")


def _resolve(cookie: str, minutes_later: float, start: object) -> services.Visit:
    return services.visit_resolve(
        cookie_value=cookie,
        anonymous_id="a" * 32,
        user_id=None,
        now=start + timedelta(minutes=minutes_later),  # type: ignore[operator]
        source=DIRECT,
    )


class TestIdleGap:
    def test_activity_within_thirty_minutes_stays_in_the_same_visit(self) -> None:
        start = clock.now()
        first = _resolve("", 0, start)
        second = _resolve(services.visit_cookie_value(first), 29, start)
        third = _resolve(services.visit_cookie_value(second), 58, start)

        assert (first.is_new, second.is_new, third.is_new) == (True, False, False)
        assert first.session_id == second.session_id == third.session_id
        assert TrackedSession.objects.count() == 1
        row = TrackedSession.objects.get()
        assert row.last_seen_at == start + timedelta(minutes=58)

    def test_a_gap_longer_than_thirty_minutes_starts_a_new_visit(self) -> None:
        start = clock.now()
        first = _resolve("", 0, start)
        later = _resolve(services.visit_cookie_value(first), 31, start)

        assert later.is_new
        assert later.session_id != first.session_id
        assert TrackedSession.objects.count() == 2

    def test_the_idle_limit_is_a_setting(self, settings: object) -> None:
        settings.ANALYTICS_SESSION_IDLE_MINUTES = 5  # type: ignore[attr-defined]
        start = clock.now()
        first = _resolve("", 0, start)

        assert _resolve(services.visit_cookie_value(first), 6, start).is_new

    def test_page_loads_within_a_minute_write_nothing(
        self, django_assert_num_queries: object
    ) -> None:
        start = clock.now()
        first = _resolve("", 0, start)

        with django_assert_num_queries(0):  # type: ignore[operator]
            again = _resolve(services.visit_cookie_value(first), 0.5, start)

        assert (again.session_id, again.last_seen, again.is_new) == (
            first.session_id,
            first.last_seen,
            False,
        )

    @pytest.mark.parametrize("cookie", ["", "garbage", "abc:xyz", "short:12", ":123"])
    def test_a_missing_or_damaged_cookie_starts_a_visit(self, cookie: str) -> None:
        assert _resolve(cookie, 0, clock.now()).is_new


def accepted_client() -> Client:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0")
    client.cookies["cm_consent"] = "1"
    return client


class TestMiddleware:
    def test_an_undecided_visitor_gets_no_cookie_and_no_visit(self, client: Client) -> None:
        response = client.get("/")

        assert response.status_code == 200
        assert ANONYMOUS_COOKIE not in response.cookies
        assert VISIT_COOKIE not in response.cookies
        assert not TrackedSession.objects.exists()

    def test_a_declined_visitor_gets_no_cookie_and_no_visit(self, client: Client) -> None:
        client.cookies["cm_consent"] = "0"

        response = client.get("/")

        assert ANONYMOUS_COOKIE not in response.cookies
        assert not TrackedSession.objects.exists()

    def test_an_accepting_visitor_gets_an_id_and_a_classified_visit(self) -> None:
        client = accepted_client()

        response = client.get(
            "/?utm_source=weibo&utm_medium=cpc&utm_campaign=spring",
            headers={"Referer": "https://weibo.com/ad/1"},
        )

        anonymous_id = response.cookies[ANONYMOUS_COOKIE].value
        assert len(anonymous_id) == 32
        assert response.cookies[ANONYMOUS_COOKIE]["samesite"] == "Lax"
        assert response.cookies[ANONYMOUS_COOKIE]["max-age"] == 365 * 24 * 3600
        session = TrackedSession.objects.get()
        assert session.anonymous_id == anonymous_id
        assert (session.source, session.utm_source, session.utm_campaign) == (
            "ad",
            "weibo",
            "spring",
        )
        assert session.referrer_host == "weibo.com"
        assert session.landing_path == "/?utm_source=weibo&utm_medium=cpc&utm_campaign=spring"
        assert response.cookies[VISIT_COOKIE].value.startswith(session.session_id + ":")

    def test_the_next_page_load_stays_in_the_visit_and_keeps_its_source(self) -> None:
        client = accepted_client()
        client.get("/", headers={"Referer": "https://www.baidu.com/s?wd=x"})

        response = client.get("/search/?q=tea", headers={"Referer": "https://blog.example.org/"})

        assert ANONYMOUS_COOKIE not in response.cookies  # kept, not reissued
        session = TrackedSession.objects.get()
        assert session.source == "search"

    @pytest.mark.parametrize(
        "path", ["/hello", "/static/storefront/site.css", "/api/v1/catalog/categories"]
    )
    def test_static_files_hello_and_the_api_are_not_tracked(self, path: str) -> None:
        response = accepted_client().get(path)

        assert ANONYMOUS_COOKIE not in response.cookies
        assert not TrackedSession.objects.exists()

    def test_hello_costs_no_query_even_for_a_tracked_browser(
        self, django_assert_num_queries: object
    ) -> None:
        client = accepted_client()
        client.get("/")

        with django_assert_num_queries(0):  # type: ignore[operator]
            assert client.get("/hello").status_code == 200

    def test_a_crawler_visit_is_flagged(self) -> None:
        client = Client(HTTP_USER_AGENT="Mozilla/5.0 (compatible; Baiduspider/2.0)")
        client.cookies["cm_consent"] = "1"

        client.get("/")

        assert TrackedSession.objects.get().is_bot is True


class TestBanner:
    def test_an_undecided_visitor_sees_the_banner_and_no_tracker(self, client: Client) -> None:
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert 'data-testid="tracking-banner"' in html
        assert "analytics/track.js" not in html

    def test_an_accepting_visitor_gets_the_tracker_and_no_banner(self) -> None:
        html = accepted_client().get("/").content.decode()

        assert 'data-testid="tracking-banner"' not in html
        assert "analytics/track.js" in html

    def test_a_declined_visitor_gets_neither(self, client: Client) -> None:
        client.cookies["cm_consent"] = "0"

        html = client.get("/").content.decode()

        assert 'data-testid="tracking-banner"' not in html
        assert "analytics/track.js" not in html

    def test_accepting_starts_the_visit_from_the_landing_page(self, client: Client) -> None:
        response = client.post(
            "/tracking/consent",
            {
                "choice": "allow",
                "next": "/p/1/?utm_source=newsletter&utm_medium=email",
                "landing": "/p/1/?utm_source=newsletter&utm_medium=email",
                "referrer": "https://mail.example.com/",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == "/p/1/?utm_source=newsletter&utm_medium=email"
        assert response.cookies["cm_consent"].value == "1"
        session = TrackedSession.objects.get()
        assert session.anonymous_id == response.cookies[ANONYMOUS_COOKIE].value
        assert (session.source, session.utm_medium) == ("campaign", "email")

    def test_declining_forgets_the_ids_and_starts_nothing(self, client: Client) -> None:
        client.cookies[ANONYMOUS_COOKIE] = "b" * 32

        response = client.post(
            "/tracking/consent", {"choice": "decline", "next": "https://evil.example/"}
        )

        assert response["Location"] == "/"
        assert response.cookies["cm_consent"].value == "0"
        assert response.cookies[ANONYMOUS_COOKIE].value == ""  # deleted
        assert not TrackedSession.objects.exists()

    def test_the_answer_needs_the_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)

        response = client.post("/tracking/consent", {"choice": "allow"})

        assert response.status_code == 403
        assert "cm_consent" not in response.cookies

    def test_an_answer_can_be_changed_later(self, client: Client) -> None:
        client.cookies["cm_consent"] = "0"
        html = client.get("/search/?q=tea").content.decode()
        assert 'href="/search/?privacy=choices"' in html

        again = client.get("/?privacy=choices&utm_source=x").content.decode()
        assert 'data-testid="tracking-banner"' in again
        assert 'name="next" value="/?utm_source=x"' in again

        response = client.post("/tracking/consent", {"choice": "allow", "next": "/"})
        assert response.cookies["cm_consent"].value == "1"
        assert TrackedSession.objects.count() == 1
