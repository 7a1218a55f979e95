"""Periodic sweeps of orders (celery beat); each is safe to run twice at once."""

from __future__ import annotations

from celery import shared_task

from circlemart.orders import services


@shared_task(name="orders.cancel_unpaid", ignore_result=True, soft_time_limit=120, time_limit=150)
def cancel_unpaid() -> int:
    return services.orders_cancel_unpaid()


@shared_task(name="orders.auto_progress", ignore_result=True, soft_time_limit=240, time_limit=280)
def auto_progress() -> tuple[int, int]:
    return services.orders_auto_progress()


@shared_task(
    name="orders.close_after_sales", ignore_result=True, soft_time_limit=240, time_limit=280
)
def close_after_sales() -> int:
    return services.orders_close_after_sales()
