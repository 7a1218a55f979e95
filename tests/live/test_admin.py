"""Back office of the live rooms: pages render for staff and not for others; state moves,
message deletion and unmuting go through the services (their transitions and frames)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from circlemart.live.models import (
    RoomMessage,
    RoomMute,
    RoomState,
    RoomTransition,
)
from tests.live.factories import (
    RoomAssistantFactory,
    RoomFactory,
    RoomMessageFactory,
    RoomMuteFactory,
    RoomOrderFactory,
    UserFactory,
    ViewerSessionFactory,
    room_with_products,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/live/room/"
STARTED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def staff_user() -> Any:
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def staff(staff_user: Any) -> Client:
    return _client(staff_user)


@pytest.fixture
def ended_room() -> Any:
    """Ended after three minutes: two viewers, three chat messages, two orders (¥349.00)."""
    room, _products = room_with_products(
        2,
        title="秋冬穿搭专场",
        state=RoomState.ENDED,
        scheduled_start=STARTED,
        started_at=STARTED,
        ended_at=STARTED + timedelta(minutes=3),
        like_count=40,
    )
    a, b = UserFactory(), UserFactory()
    ViewerSessionFactory(
        room=room, user=a, joined_at=STARTED, left_at=STARTED + timedelta(minutes=2)
    )
    ViewerSessionFactory(room=room, user=b, joined_at=STARTED + timedelta(minutes=1))
    for user in (a, b, a):
        message = RoomMessageFactory(room=room, user=user)
        RoomMessage.objects.filter(pk=message.pk).update(created_at=STARTED + timedelta(seconds=30))
    RoomOrderFactory(room=room, buyer_id=a.pk, total=19900, paid_at=STARTED + timedelta(minutes=1))
    RoomOrderFactory(room=room, buyer_id=b.pk, total=15000, paid_at=STARTED + timedelta(minutes=2))
    RoomAssistantFactory(room=room)
    return room


def _action(client: Client, url: str, action: str, ids: list[int]) -> Any:
    return client.post(
        url, {"action": action, "_selected_action": [str(pk) for pk in ids]}, follow=True
    )


# --- pages ---------------------------------------------------------------------------------


def test_the_room_list_shows_state_host_viewers_and_gmv(staff: Client, ended_room: Any) -> None:
    ended_room.peak_viewers = 2
    ended_room.save(update_fields=["peak_viewers"])
    RoomFactory(title="明晚上新")

    response = staff.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "秋冬穿搭专场" in page
    assert "明晚上新" in page
    assert "¥349.00" in page
    assert f"/admin/live/room/{ended_room.pk}/stats/" in page
    assert response.context["cl"].result_count == 2


def test_the_room_list_filters_and_searches(staff: Client, ended_room: Any) -> None:
    RoomFactory(title="明晚上新")

    ended = staff.get(CHANGELIST, {"state__exact": "ended"})
    found = staff.get(CHANGELIST, {"q": "上新"})

    assert [room.pk for room in ended.context["cl"].result_list] == [ended_room.pk]
    assert [room.title for room in found.context["cl"].result_list] == ["明晚上新"]


def test_the_change_page_shows_products_assistants_and_read_only_state(
    staff_user: Any, ended_room: Any
) -> None:
    response = _client(staff_user, "zh-hans").get(f"/admin/live/room/{ended_room.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "直播好物 0" in page
    assert "直播好物 1" in page
    form = response.context["adminform"].form
    assert "state" not in form.fields
    assert "like_count" not in form.fields
    assert "pinned_product_id" not in form.fields


def test_the_change_form_takes_a_path_on_this_site_as_video(staff: Client, ended_room: Any) -> None:
    url = f"/admin/live/room/{ended_room.pk}/change/"
    data = {
        "title": "秋冬穿搭专场",
        "description": "",
        "video_url": "/media/live/demo/circlemart-live-demo.webm",
        "replay_url": "ftp://example.com/x.mp4",
        "scheduled_start_0": "2026-03-01",
        "scheduled_start_1": "18:00:00",
    }
    for prefix in ("products", "assistants", "transitions"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )

    refused = staff.post(url, data)

    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["replay_url"]
    data["replay_url"] = ""
    response = staff.post(url, {**data, "_continue": "1"})
    assert response.status_code == 302
    ended_room.refresh_from_db()
    assert ended_room.video_url == "/media/live/demo/circlemart-live-demo.webm"


def test_the_stats_page_shows_the_kpis_and_the_chart(staff: Client, ended_room: Any) -> None:
    response = staff.get(f"/admin/live/room/{ended_room.pk}/stats/")

    assert response.status_code == 200
    cards = {card["key"]: card["value"] for card in response.context["cards"]}
    assert cards == {
        "peak": "2",
        "unique": "2",
        "watch": "2 min 00 s",  # (120 s + 120 s) / 2 viewers
        "messages": "3",
        "likes": "40",
        "claims": "0",
        "orders": "2",
        "gmv": "CN¥349.00",  # English formatting
        "buyer-conversion": "100.0%",
        "order-conversion": "100.0%",
    }
    page = response.content.decode()
    assert 'data-chart="audience"' in page
    assert "analytics/vendor/plotly.min.js" in page
    assert "cdn" not in page.lower()
    figures = json.loads(
        page.split('<script id="dashboard-figures" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    audience, sales = figures["audience"]["data"], figures["sales"]["data"]
    assert audience[0]["x"] == ["18:00", "18:01", "18:02"]  # Asia/Shanghai
    assert audience[0]["y"] == [1, 2, 1]
    assert audience[1]["y"] == [3, 0, 0]
    assert sales[0]["y"] == [0, 199, 150]
    assert sales[1]["y"] == [0, 1, 1]
    assert figures["sales"]["layout"]["yaxis2"]["dtick"] == 1  # whole orders on the axis


def test_the_stats_page_of_a_scheduled_room_has_no_chart(staff: Client) -> None:
    room = RoomFactory()

    response = staff.get(f"/admin/live/room/{room.pk}/stats/")

    assert response.status_code == 200
    assert 'data-chart="audience"' not in response.content.decode()


def test_pages_refuse_a_shopper(ended_room: Any) -> None:
    shopper = _client(UserFactory())

    for url in (
        CHANGELIST,
        f"/admin/live/room/{ended_room.pk}/change/",
        f"/admin/live/room/{ended_room.pk}/stats/",
        "/admin/live/roommessage/",
    ):
        response = shopper.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_the_stats_page_needs_the_view_permission(ended_room: Any) -> None:
    clerk = UserFactory(is_staff=True)
    denied = _client(clerk).get(f"/admin/live/room/{ended_room.pk}/stats/")
    clerk.user_permissions.add(Permission.objects.get(codename="view_room"))
    allowed = _client(clerk).get(f"/admin/live/room/{ended_room.pk}/stats/")

    assert denied.status_code == 403
    assert allowed.status_code == 200


def test_the_message_log_and_mutes_render(staff: Client, ended_room: Any) -> None:
    RoomMuteFactory(room=ended_room)

    log = staff.get("/admin/live/roommessage/", {"room__id__exact": ended_room.pk})
    mutes = staff.get("/admin/live/roommute/")
    orders = staff.get("/admin/live/roomorder/")

    assert log.status_code == 200
    assert log.context["cl"].result_count == 3
    assert mutes.status_code == 200
    assert orders.status_code == 200
    assert "¥199.00" in orders.content.decode()


# --- actions through the services -----------------------------------------------------------


def test_start_goes_through_the_state_machine(staff: Client, staff_user: Any) -> None:
    room = RoomFactory()

    response = _action(staff, CHANGELIST, "start_rooms", [room.pk])

    assert response.status_code == 200
    room.refresh_from_db()
    assert room.state == RoomState.LIVE
    assert room.started_at is not None
    transition = RoomTransition.objects.get(room=room)
    assert (transition.from_state, transition.to_state, transition.actor_id) == (
        "scheduled",
        "live",
        staff_user.pk,
    )
    logged = RoomMessage.objects.get(room=room)
    assert (logged.sequence, logged.kind, logged.payload["state"]) == (1, "state", "live")


def test_an_illegal_move_is_refused_and_changes_nothing(staff: Client) -> None:
    room = RoomFactory()

    response = _action(staff, CHANGELIST, "end_rooms", [room.pk])

    room.refresh_from_db()
    assert room.state == RoomState.SCHEDULED
    assert not RoomTransition.objects.filter(room=room).exists()
    assert not RoomMessage.objects.filter(room=room).exists()
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1
    assert shown[0].startswith(f"{room.title}: ")


def test_pause_resume_end_and_replay(staff: Client) -> None:
    room = RoomFactory(live=True)

    for action in ("pause_rooms", "resume_rooms", "end_rooms", "publish_replays"):
        _action(staff, CHANGELIST, action, [room.pk])

    room.refresh_from_db()
    assert room.state == RoomState.REPLAY
    assert list(RoomTransition.objects.filter(room=room).values_list("from_state", "to_state")) == [
        ("live", "paused"),
        ("paused", "live"),
        ("live", "ended"),
        ("ended", "replay"),
    ]


def test_deleting_messages_hides_them_and_tells_viewers(staff: Client) -> None:
    room = RoomFactory(live=True)
    first = RoomMessageFactory(room=room)
    second = RoomMessageFactory(room=room)

    _action(staff, "/admin/live/roommessage/", "delete_messages", [first.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_deleted is True
    assert second.is_deleted is False
    frame = RoomMessage.objects.get(room=room, kind="delete")
    assert (frame.sequence, frame.payload) == (3, {"seq": first.sequence})
    assert RoomMessage.objects.filter(room=room).count() == 3  # nothing removed


def test_the_log_has_no_bulk_removal(staff: Client) -> None:
    response = staff.get("/admin/live/roommessage/")

    names = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert names == ["", "delete_messages"]


def test_unmute_goes_through_the_chat_service(staff: Client) -> None:
    mute = RoomMuteFactory()

    _action(staff, "/admin/live/roommute/", "unmute", [mute.pk])

    assert not RoomMute.objects.filter(pk=mute.pk).exists()


def test_the_back_office_home_has_a_live_card(staff: Client) -> None:
    room = RoomFactory(live=True)
    RoomFactory(replay=True)
    viewer = UserFactory()
    ViewerSessionFactory(room=room, user=viewer)  # two tabs: one viewer
    ViewerSessionFactory(room=room, user=viewer)
    ViewerSessionFactory(room=room, user=None, visitor_key="anon:1")
    ViewerSessionFactory(room=room, user=None, visitor_key="anon:2", left_at=STARTED)

    page = staff.get("/admin/")

    tiles = {tile.key: tile for tile in page.context["dashboard_tiles"]}
    assert tiles["live"].value == "1"
    assert tiles["live"].hint == "2 watching"
    assert tiles["live"].link == "/admin/live/room/?state__exact=live"


def test_the_stats_page_of_an_unknown_room_is_not_found(staff: Client) -> None:
    assert staff.get("/admin/live/room/987654/stats/").status_code == 404
