from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "circlemart.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from circlemart.orders import handlers, tasks  # noqa: F401  (registers)
