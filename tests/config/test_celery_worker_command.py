"""`circlemart worker`: how many processes it starts, and what it hands to Celery."""

from __future__ import annotations

import os

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
            f"--hostname=circlemart-{os.getpid()}@%h",
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
            f"--hostname=circlemart-{os.getpid()}@%h",
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


def test_two_workers_on_one_machine_get_different_node_names(celery_argv, monkeypatch):
    # Celery's default node name is celery@<host>: a second worker on the same RabbitMQ then
    # fails to declare its remote-control queue (ResourceLocked on celery@host.celery.pidbox).
    for pid in (101, 102):
        monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)
        cli.worker(["--beat", "no"])
    names = [argument for argv in celery_argv for argument in argv if "--hostname" in argument]
    assert names == ["--hostname=circlemart-101@%h", "--hostname=circlemart-102@%h"]


def test_the_node_name_can_be_given(celery_argv):
    cli.worker(["--beat", "no", "--hostname", "orders@shop-1"])
    assert "--hostname=orders@shop-1" in celery_argv[0]
