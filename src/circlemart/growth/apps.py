from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrowthConfig(AppConfig):
    name = "circlemart.growth"
    label = "growth"
    verbose_name = _("Growth")

    def ready(self) -> None:
        from circlemart.growth import (
            handlers,  # noqa: F401  (subscribes to domain events)
            rules,  # noqa: F401  (registers pricing rules)
        )
