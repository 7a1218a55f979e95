"""POST /api/v1/events: the browser's batches — validated whole, limited in size and rate,
deduplicated by event id, accepted as JSON or as a sendBeacon text/plain body, refused from
other sites, and stored only for a browser that accepted tracking."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from circlemart.analytics.models import Event, TrackedSession
from circlemart.analytics.tracking.consent import consent_record
from circlemart.analytics.tracking.middleware import ANONYMOUS_COOKIE, VISIT_COOKIE
from circlemart.core import clock
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/events"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
ANONYMOUS_ID = "f" * 32


def event(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "name": "page_view",
        "occurred_at": clock.now().isoformat(),
        "object_id": "/",
        "properties": {"path": "/", "title": "Home", "referrer": ""},
    }
    fields.update(overrides)
    return fields


def tracked_client(*, language: str = "en") -> Client:
    """A browser that accepted tracking and loaded a page (so it has its cookies)."""
    client = Client(HTTP_USER_AGENT=BROWSER, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["cm_consent"] = "1"
    client.cookies[ANONYMOUS_COOKIE] = ANONYMOUS_ID
    client.get("/")
    return client


def send(client: Client, body: Any, *, content_type: str = "application/json", **headers: str):  # type: ignore[no-untyped-def]
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type, headers=headers)


class TestHappyPath:
    def test_a_batch_is_stored_with_the_browser_ids_and_counted_on_the_visit(self) -> None:
        client = tracked_client()
        session = TrackedSession.objects.get()
        batch = [
            event(),
            event(name="product_view", object_id=42, properties={"path": "/p/42/"}),
            event(name="impression", object_id="7", properties={"list": "/", "position": 3}),
        ]

        response = send(client, {"events": batch, "anonymous_id": "ignored-when-cookie-set"})

        assert response.status_code == 200
        assert response.json() == {"stored": 3, "duplicates": 0, "ignored": 0}
        rows = list(
            Event.objects.order_by("id").values_list(
                "name",
                "origin",
                "anonymous_id",
                "session_id",
                "user_id",
                "object_type",
                "object_id",
            )
        )
        assert rows == [
            ("page_view", "client", ANONYMOUS_ID, session.session_id, None, "page", "/"),
            ("product_view", "client", ANONYMOUS_ID, session.session_id, None, "product", "42"),
            ("impression", "client", ANONYMOUS_ID, session.session_id, None, "product", "7"),
        ]
        session.refresh_from_db()
        assert (session.event_count, session.page_views) == (3, 1)

    def test_a_send_beacon_text_plain_body_is_accepted(self) -> None:
        client = tracked_client()

        response = send(client, {"events": [event()]}, content_type="text/plain;charset=UTF-8")

        assert response.status_code == 200
        assert Event.objects.count() == 1

    def test_a_signed_in_browser_events_carry_the_user(self) -> None:
        user = UserFactory()
        client = tracked_client()
        client.force_login(user)

        send(client, {"events": [event()]})

        assert list(Event.objects.values_list("user_id", "anonymous_id")) == [
            (user.pk, ANONYMOUS_ID)
        ]

    def test_duplicates_are_dropped_and_reported(self) -> None:
        client = tracked_client()
        first = event()
        send(client, {"events": [first]})

        response = send(client, {"events": [first, event(), first]})

        assert response.json() == {"stored": 1, "duplicates": 2, "ignored": 0}
        assert Event.objects.count() == 2

    def test_an_app_without_cookies_names_its_anonymous_id(self) -> None:
        client = Client(HTTP_USER_AGENT=BROWSER)
        client.cookies["cm_consent"] = "1"

        response = send(client, {"events": [event()], "anonymous_id": "app" + "0" * 29})

        assert response.json()["stored"] == 1
        assert Event.objects.get().anonymous_id == "app" + "0" * 29
        assert TrackedSession.objects.get().session_id == Event.objects.get().session_id
        assert VISIT_COOKIE in response.cookies


class TestRefusals:
    def test_an_unknown_event_is_refused_naming_the_field_and_nothing_is_stored(self) -> None:
        client = tracked_client()

        response = send(client, {"events": [event(), event(name="teleport")]})

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unknown_event"
        assert response.json()["error"]["field"] == "events[1].name"
        assert Event.objects.count() == 0

    def test_a_server_event_cannot_be_sent_by_a_browser(self) -> None:
        response = send(tracked_client(), {"events": [event(name="order_paid")]})

        assert response.status_code == 400
        assert response.json()["error"]["field"] == "events[0].name"
        assert Event.objects.count() == 0

    @pytest.mark.parametrize(
        ("moment", "field"),
        [
            (lambda: (clock.now() + timedelta(days=3)).isoformat(), "events[0].occurred_at"),
            (lambda: (clock.now() - timedelta(days=60)).isoformat(), "events[0].occurred_at"),
            (lambda: "2026-12-06T10:00:00", "events[0].occurred_at"),
            (lambda: "yesterday", "events[0].occurred_at"),
        ],
    )
    def test_times_far_off_without_a_zone_or_unreadable_are_refused(
        self, moment: Any, field: str
    ) -> None:
        response = send(tracked_client(), {"events": [event(occurred_at=moment())]})

        assert response.status_code == 400
        assert response.json()["error"]["field"] == field
        assert Event.objects.count() == 0

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"event_id": "not-a-uuid"}, "events[0].event_id"),
            ({"properties": {"path": 5}}, "events[0].properties.path"),
            ({"properties": {"colour": "red"}}, "events[0].properties.colour"),
            ({"object_id": "x" * 65}, "events[0].object_id"),
            ({"surprise": 1}, "events[0].surprise"),
        ],
    )
    def test_malformed_events_are_refused_naming_the_field(
        self, overrides: dict[str, Any], field: str
    ) -> None:
        response = send(tracked_client(), {"events": [event(**overrides)]})

        assert response.status_code == 400
        assert response.json()["error"]["field"].startswith(field)
        assert Event.objects.count() == 0

    def test_too_many_events_is_413_naming_events(self, settings: Any) -> None:
        settings.ANALYTICS_MAX_BATCH_EVENTS = 3

        response = send(tracked_client(), {"events": [event() for _ in range(4)]})

        assert response.status_code == 413
        assert response.json()["error"]["field"] == "events"
        assert response.json()["error"]["code"] == "too_large"
        assert Event.objects.count() == 0

    def test_too_many_bytes_is_413_naming_the_body(self, settings: Any) -> None:
        settings.ANALYTICS_MAX_BATCH_BYTES = 2000
        title = "t" * 400

        response = send(
            tracked_client(),
            {"events": [event(properties={"path": "/", "title": title}) for _ in range(5)]},
        )

        assert response.status_code == 413
        assert response.json()["error"]["field"] == "body"
        assert Event.objects.count() == 0

    @pytest.mark.parametrize(
        ("body", "code", "field"),
        [
            ("{not json", "invalid_json", "body"),
            ("[]", "invalid", "body"),
            ('{"events": []}', "invalid", "events"),
            ('{"anonymous_id": "x"}', "invalid", "events"),
            ('{"events": [{"name": "page\\u0000view"}]}', "invalid_characters", "events.0.name"),
        ],
    )
    def test_unreadable_bodies_are_refused(self, body: str, code: str, field: str) -> None:
        response = send(tracked_client(), body, content_type="text/plain")

        assert response.status_code == 400
        assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
            code,
            field,
        )

    def test_a_form_body_is_415(self) -> None:
        response = tracked_client().post(URL, {"events": "x"})

        assert response.status_code == 415
        assert response.json()["error"]["field"] == "Content-Type"

    def test_another_site_cannot_post_events(self) -> None:
        response = send(tracked_client(), {"events": [event()]}, Origin="https://evil.example")

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "cross_origin"
        assert Event.objects.count() == 0

    def test_our_own_origin_is_accepted(self) -> None:
        response = send(tracked_client(), {"events": [event()]}, Origin="http://testserver")

        assert response.status_code == 200

    def test_the_endpoint_is_rate_limited_per_ip(self, settings: Any) -> None:
        settings.ANALYTICS_EVENTS_PER_IP_PER_MINUTE = 2
        client = tracked_client()

        statuses = [send(client, {"events": [event()]}).status_code for _ in range(3)]

        assert statuses == [200, 200, 429]
        assert Event.objects.count() == 2


class TestConsent:
    def test_an_undecided_visitor_stores_nothing(self) -> None:
        client = Client(HTTP_USER_AGENT=BROWSER)

        response = send(client, {"events": [event()], "anonymous_id": ANONYMOUS_ID})

        assert response.json() == {"stored": 0, "duplicates": 0, "ignored": 1}
        assert Event.objects.count() == 0
        assert TrackedSession.objects.count() == 0

    def test_a_declined_visitor_stores_nothing_even_with_an_old_id(self) -> None:
        client = tracked_client()
        client.post("/tracking/consent", {"choice": "decline"})
        client.cookies[ANONYMOUS_COOKIE] = ANONYMOUS_ID  # an old id the browser kept

        response = send(client, {"events": [event()]})

        assert response.json()["ignored"] == 1
        assert Event.objects.count() == 0

    def test_a_declined_batch_is_still_validated(self) -> None:
        client = Client()
        client.cookies["cm_consent"] = "0"

        response = send(client, {"events": [event(name="teleport")]})

        assert response.status_code == 400

    def test_a_signed_in_caller_without_cookies_is_judged_by_the_stored_answer(self) -> None:
        user = UserFactory()
        consent_record(allowed=True, user_id=user.pk)
        client = Client(HTTP_USER_AGENT=BROWSER)
        client.force_login(user)

        response = send(client, {"events": [event()], "anonymous_id": ANONYMOUS_ID})

        assert response.json()["stored"] == 1
        assert Event.objects.get().user_id == user.pk

    def test_opt_out_mode_tracks_undecided_visitors(self, settings: Any) -> None:
        settings.ANALYTICS_CONSENT_REQUIRED = False
        client = Client(HTTP_USER_AGENT=BROWSER)
        client.get("/")

        response = send(client, {"events": [event()]})

        assert response.json()["stored"] == 1


class TestBots:
    def test_a_crawler_batch_is_ignored_and_its_visit_flagged(self) -> None:
        client = Client(HTTP_USER_AGENT="Mozilla/5.0 (compatible; Googlebot/2.1)")
        client.cookies["cm_consent"] = "1"
        client.get("/")

        response = send(client, {"events": [event()]})

        assert response.json() == {"stored": 0, "duplicates": 0, "ignored": 1}
        assert Event.objects.count() == 0
        assert TrackedSession.objects.get().is_bot is True

    def test_python_requests_is_a_bot(self) -> None:
        client = Client(HTTP_USER_AGENT="python-requests/2.32")
        client.cookies["cm_consent"] = "1"

        response = send(client, {"events": [event()], "anonymous_id": ANONYMOUS_ID})

        assert response.json()["ignored"] == 1
        assert Event.objects.count() == 0
