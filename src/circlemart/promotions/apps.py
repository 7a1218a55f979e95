from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    """One Django app (label "promotions") holding four mechanisms, each a sub-package with the
    usual rooms: coupons/, flash/, group/, bargain/."""

    name = "circlemart.promotions"
    label = "promotions"
    verbose_name = _("Promotions")

    def ready(self) -> None:
        from circlemart.promotions import events, tasks  # noqa: F401
        from circlemart.promotions.bargain import handlers as bargain_handlers  # noqa: F401
        from circlemart.promotions.bargain import rules as bargain_rules
        from circlemart.promotions.coupons import handlers as coupon_handlers  # noqa: F401
        from circlemart.promotions.coupons import rules as coupon_rules
        from circlemart.promotions.flash import handlers as flash_handlers  # noqa: F401
        from circlemart.promotions.flash import rules as flash_rules
        from circlemart.promotions.group import handlers as group_handlers  # noqa: F401
        from circlemart.promotions.group import rules as group_rules

        # The price engine runs the rules in its documented stage order (coupons/rules.py).
        coupon_rules.register()
        flash_rules.register()
        group_rules.register()
        bargain_rules.register()
