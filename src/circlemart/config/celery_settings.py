"""Celery configuration derived from the Django settings (loaded on first use)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery.schedules import crontab
from django.conf import settings

from circlemart.config import embedded_broker


def embedded_broker_options(root: Path) -> dict[str, Any]:
    """Folders and polling of the embedded broker (circlemart.config.embedded_broker)."""
    folders = {
        "data_folder_in": root / "queue",
        "data_folder_out": root / "queue",
        "inflight_folder": root / "inflight",
        "quarantine_folder": root / "quarantine",
        "control_folder": root / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        **{name: str(folder) for name, folder in folders.items()},
        # kombu sleeps this long whenever the queue looks empty or prefetch is full; its
        # default (1 s) caps an embedded worker at about two tasks a second.
        "polling_interval": 0.1,
    }


task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
task_eager_propagates = True
task_ignore_result = True
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1
task_time_limit = 300
task_soft_time_limit = 240
broker_connection_retry_on_startup = True
# Celery's Django fix-up closes every database connection before and after each task, and in a
# prefork child the whole PostgreSQL connection pool with it: each task opened new connections
# (a tenth of the worker's time under checkout load). With this it does so only every
# CELERY_DB_REUSE_MAX tasks; after each task the connection goes back to the pool (or is closed
# if broken) as after a web request (circlemart.config.celery.give_back_database_connections).
CELERY_DB_REUSE_MAX = 500
broker_connection_timeout = 4
timezone = settings.TIME_ZONE
beat_schedule = {
    "outbox-sweep": {"task": "core.sweep_outbox", "schedule": float(settings.OUTBOX_SWEEP_SECONDS)},
    "idempotency-purge": {"task": "core.purge_idempotency_records", "schedule": 3600.0},
    "search-log-purge": {"task": "search.purge_search_log", "schedule": 86400.0},
    "payments-resubmit-stuck-refunds": {
        "task": "payments.resubmit_stuck_refunds",
        "schedule": float(settings.PAYMENTS_REFUND_RETRY_SECONDS),
    },
    "payments-reconcile": {"task": "payments.reconcile", "schedule": 300.0},
    "payments-gateway-sweep": {
        "task": "payments.gateway_sweep",
        "schedule": float(settings.PAYMENTS_GATEWAY_SWEEP_SECONDS),
    },
    "orders-cancel-unpaid": {"task": "orders.cancel_unpaid", "schedule": 30.0},
    "orders-auto-progress": {"task": "orders.auto_progress", "schedule": 3600.0},
    "orders-close-after-sales": {"task": "orders.close_after_sales", "schedule": 3600.0},
    # Distribution: commission whose after-sales window closed is settled (once per row), and
    # approved withdrawals whose payout did not complete are sent again (same key).
    "growth-distribution-settle": {"task": "growth.distribution_settle", "schedule": 600.0},
    "growth-distribution-pay-approved": {
        "task": "growth.distribution_pay_approved",
        "schedule": 300.0,
    },
    "promotions-expire-coupons": {"task": "promotions.expire_coupons", "schedule": 3600.0},
    # Points: expire due FIFO lots, and warn holders POINTS_EXPIRY_WARNING_DAYS before.
    "growth-points-expire": {"task": "growth.points_expire", "schedule": 3600.0},
    "growth-points-warn-expiring": {"task": "growth.points_warn_expiring", "schedule": 3600.0},
    # Levels: the daily review (up, grace, down) and the hourly birthday coupons.
    "growth-levels-review": {"task": "growth.levels_review", "schedule": 86400.0},
    "growth-levels-birthday-coupons": {
        "task": "growth.levels_birthday_coupons",
        "schedule": 3600.0,
    },
    "promotions-expire-groups": {"task": "promotions.expire_groups", "schedule": 30.0},
    "live-remind-followers": {"task": "live.remind_followers", "schedule": 60.0},
    # Recommendations: retrain nightly (switches only if not worse), forget idle sessions' trails.
    "recommend-retrain": {"task": "recommend.retrain", "schedule": crontab(hour=3, minute=30)},
    "recommend-prune-session-trails": {
        "task": "recommend.prune_session_trails",
        "schedule": 600.0,
    },
    "promotions-expire-bargains": {"task": "promotions.expire_bargains", "schedule": 60.0},
    "promotions-reconcile-flash-stock": {
        "task": "promotions.reconcile_flash_stock",
        "schedule": 60.0,
    },
    "social-trending-topics": {
        "task": "social.recompute_trending",
        "schedule": float(settings.SOCIAL_TRENDING_SECONDS),
    },
    "analytics-export": {
        "task": "analytics.export",
        "schedule": float(settings.ANALYTICS_EXPORT_EVERY_SECONDS),
    },
    "analytics-ensure-partitions": {"task": "analytics.ensure_partitions", "schedule": 86400.0},
    # Yesterday and today recomputed into the daily metrics table (it syncs the warehouse first).
    "analytics-rollup": {"task": "analytics.rollup", "schedule": 3600.0},
    # Daily, once the night's rollup has filled yesterday's metrics.
    "analytics-goals-evaluate": {
        "task": "analytics.goals_evaluate",
        "schedule": crontab(hour=4, minute=0),
    },
    # Dashboard reports by email, after the night's rollup (each sent at most once a day).
    "analytics-send-reports": {
        "task": "analytics.send_reports",
        "schedule": crontab(hour=7, minute=0),
    },
}
beat_schedule_filename = str(settings.DATA_DIR / "celerybeat-schedule")

if settings.CELERY_BROKER_URL:
    broker_url = settings.CELERY_BROKER_URL
else:
    broker_url = f"{embedded_broker.SCHEME}://localhost/"
    broker_transport_options = embedded_broker_options(settings.CELERY_EMBEDDED_BROKER_DIR)
    # No remote control (it would need a reply queue per worker in the folder).
    worker_enable_remote_control = False
