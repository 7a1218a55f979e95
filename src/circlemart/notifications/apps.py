from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "circlemart.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from circlemart.notifications import handlers  # noqa: F401  (registers handlers)
