"""ASGI entry point: HTTP through Django; websockets (the live rooms) through Channels."""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
django_asgi_app = get_asgi_application()

# Imported once Django is set up (the consumers import models).
from circlemart.live.realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application()})
