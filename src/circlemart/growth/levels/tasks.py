"""Periodic level work (celery beat), safe to run twice: the daily review (up, grace, down)
and the hourly birthday coupons (once per member per year)."""

from __future__ import annotations

from celery import shared_task

from circlemart.growth.levels import services


@shared_task(name="growth.levels_review", ignore_result=True, soft_time_limit=1800, time_limit=1900)
def levels_review() -> int:
    return services.levels_review()


@shared_task(
    name="growth.levels_birthday_coupons", ignore_result=True, soft_time_limit=600, time_limit=660
)
def levels_birthday_coupons() -> int:
    return services.birthday_coupons_grant()
