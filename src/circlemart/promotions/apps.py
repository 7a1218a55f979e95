from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "circlemart.promotions"
    label = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from circlemart.promotions import (  # noqa: F401
            bargain_handlers,
            bargain_rules,
            bargain_tasks,
            events,
            flash_tasks,
            group_tasks,
            handlers,
            rules,
        )

        # The price engine runs our rules in its documented stage order (rules.py).
        rules.register()
        bargain_rules.register()
