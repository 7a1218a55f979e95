from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "circlemart.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from circlemart.payments import checks, events, tasks  # noqa: F401  (registers)
        from circlemart.payments.providers import forget_loaded_providers

        setting_changed.connect(forget_loaded_providers, dispatch_uid="payments.providers")
