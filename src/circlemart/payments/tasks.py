"""Celery entry points of payments: the test gateway's webhook deliveries and refund
settlement (its side), the sweep that resubmits refunds the provider never acknowledged, and
the reconciliation that asks providers about payments and refunds still pending."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from circlemart.payments import gateway, services


@shared_task(
    name="payments.gateway_deliver_webhook", ignore_result=True, soft_time_limit=60, time_limit=90
)
def gateway_deliver_webhook(webhook_id: int) -> str:
    """One delivery attempt; schedules the next one with back-off while the app says non-2xx."""
    outcome = gateway.webhook_deliver(webhook_id=webhook_id)
    if outcome.retry_in is not None:
        gateway_deliver_webhook.apply_async(args=[webhook_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(
    name="payments.gateway_settle_refund", ignore_result=True, soft_time_limit=45, time_limit=60
)
def gateway_settle_refund(refund_id: int) -> str:
    return str(gateway.refund_settle(refund_id=refund_id).status)


@shared_task(
    name="payments.resubmit_stuck_refunds", ignore_result=True, soft_time_limit=240, time_limit=280
)
def resubmit_stuck_refunds() -> int:
    older_than = timedelta(seconds=settings.PAYMENTS_REFUND_RETRY_SECONDS)
    return services.refunds_resubmit_stuck(older_than=older_than)


@shared_task(name="payments.reconcile", ignore_result=True, soft_time_limit=240, time_limit=280)
def reconcile() -> dict[str, int]:
    older_than = timedelta(seconds=settings.PAYMENTS_RECONCILE_AFTER_SECONDS)
    return services.payments_reconcile(older_than=older_than)


@shared_task(name="payments.gateway_sweep", ignore_result=True, soft_time_limit=240, time_limit=280)
def gateway_sweep() -> tuple[int, int]:
    """The test gateway settles and resends what a lost task left behind."""
    if not settings.PAYMENTS_TEST_MODE:
        return (0, 0)
    return gateway.sweep_pending(
        older_than=timedelta(seconds=settings.PAYMENTS_GATEWAY_SWEEP_SECONDS)
    )
