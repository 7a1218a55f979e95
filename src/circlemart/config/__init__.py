"""Project configuration: settings, URLs, ASGI/WSGI entry points, Celery app and the CLI."""

from circlemart.config.celery import app as celery_app

__all__ = ["celery_app"]
