"""`circlemart worker`: how many processes it starts, and what it hands to Celery."""

from __future__ import annotations

import pytest

from circlemart.config import cli
from circlemart.config.celery import app


@pytest.fixture
def celery_argv(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []
    monkeypatch.setattr(app, "worker_main", lambda argv: calls.append(list(argv)))
    return calls


def test_the_worker_starts_worker_concurrency_processes_by_default(settings, celery_argv):
    settings.WORKER_CONCURRENCY = 4
    assert cli.worker(["--beat", "no", "--quiet"]) == 0
    assert celery_argv == [
        [
            "--quiet",
            "worker",
            "--loglevel=INFO",
            "--concurrency=4",
            "--without-mingle",
            "--without-gossip",
        ]
    ]


def test_the_concurrency_option_wins_over_the_setting(settings, celery_argv):
    settings.WORKER_CONCURRENCY = 4
    assert cli.worker(["--beat", "yes", "--concurrency", "1", "--loglevel", "WARNING"]) == 0
    assert celery_argv == [
        [
            "worker",
            "--loglevel=WARNING",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--beat",
        ]
    ]


def test_the_default_is_four_processes():
    from circlemart.config import settings as project_settings

    assert project_settings.WORKER_CONCURRENCY == 4
