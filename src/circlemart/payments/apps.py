from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "circlemart.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from circlemart.payments import checks, events, tasks  # noqa: F401  (registers)
