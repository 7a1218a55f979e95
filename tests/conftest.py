"""Shared fixtures, and deselection of tests whose service is not configured.

`make test` runs what the embedded defaults allow and says how many tests it left out;
`.ci/run` configures PostgreSQL, Redis, RabbitMQ and Chromium so that nothing is left out.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from circlemart.accounts.sms import MemorySmsProvider
from circlemart.recommend.bundle import forget_active_bundle
from circlemart.recommend.serving.catalogue import forget_facts

CHROMIUM = "/usr/bin/chromium"
_deselected: dict[str, int] = {}


def _missing_service(marker: str) -> str | None:
    if marker == "postgres" and not settings.IS_POSTGRES:
        return "PostgreSQL (set DATABASE_URL=postgres://…)"
    if marker == "redis" and not settings.REDIS_URL:
        return "Redis (set REDIS_URL)"
    if marker == "broker" and not settings.CELERY_BROKER_URL:
        return "a broker (set CELERY_BROKER_URL)"
    if marker == "e2e" and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return "Chromium (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        reasons = [
            reason
            for marker in ("postgres", "redis", "broker", "e2e")
            if item.get_closest_marker(marker) and (reason := _missing_service(marker))
        ]
        if reasons:
            dropped.append(item)
            for reason in reasons:
                _deselected[reason] = _deselected.get(reason, 0) + 1
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its counts to the controller, which prints the summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["deselected_for_services"] = dict(_deselected)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    # Every worker collects every test, so each saw the same deselections: keep, not add.
    for reason, count in (
        getattr(node, "workeroutput", {}).get("deselected_for_services", {}).items()
    ):
        _deselected[reason] = max(_deselected.get(reason, 0), count)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _deselected:
        terminalreporter.write_sep("-", "deselected for missing services")
        for reason, count in sorted(_deselected.items()):
            terminalreporter.write_line(f"{count:4d} tests need {reason}")


@pytest.fixture(autouse=True)
def _clean_cache_and_sms() -> Iterator[None]:
    """Rate-limit counters, sent SMS and what a process remembers for recommendations never
    leak from one test into the next (ids are reused after a rollback)."""
    cache.clear()
    MemorySmsProvider.outbox.clear()
    forget_facts()
    forget_active_bundle()
    yield
    cache.clear()
    forget_facts()
    forget_active_bundle()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the site's default language (Chinese), whatever the test before it
    activated in this thread: a test comparing English messages says so itself."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def api_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def sent_sms() -> list[tuple[str, str]]:
    return MemorySmsProvider.outbox
