from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "circlemart.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from circlemart.analytics import handlers  # noqa: F401  (subscribes to domain events)
