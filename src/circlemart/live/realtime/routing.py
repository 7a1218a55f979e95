"""The websocket application: origin check → session and bearer-token auth → live routes."""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import re_path

from circlemart.live.realtime.auth import BearerTokenAuth, OriginCheck
from circlemart.live.realtime.consumers import LiveRoomConsumer, UnknownRouteConsumer

websocket_urlpatterns = [
    re_path(r"^ws/live/(?P<room_id>[^/]+)/$", LiveRoomConsumer.as_asgi()),
    re_path(r"", UnknownRouteConsumer.as_asgi()),
]


def websocket_application() -> Any:
    return OriginCheck(AuthMiddlewareStack(BearerTokenAuth(URLRouter(websocket_urlpatterns))))
