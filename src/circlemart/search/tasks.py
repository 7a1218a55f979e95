"""Celery entry points of search: thin wrappers around services, taking ids."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from circlemart.search import services


@shared_task(
    name="search.index_products",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=240,
    time_limit=300,
)
def index_products_task(product_ids: list[int]) -> int:
    return services.index_products(product_ids).indexed


@shared_task(name="search.purge_search_log", ignore_result=True, time_limit=600)
def purge_search_log() -> int:
    return services.search_log_purge()
