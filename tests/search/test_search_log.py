"""The batched search log: nothing written per search, exact counts per flush, history seen
by its owner at once, back-pressure instead of loss, and the writer thread."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from circlemart.core.cache import generations
from circlemart.search import search_log, selectors
from circlemart.search.contracts import SEARCH_INDEX_GENERATION
from circlemart.search.models import SearchHistory, SearchQuery, Suggestion
from tests.accounts.factories import UserFactory


@pytest.fixture
def buffered(settings: Any) -> Any:
    """The writer thread is started but sleeps for an hour: flushes happen when asked."""
    settings.SEARCH_LOG_FLUSH_SECONDS = 3600
    settings.SEARCH_LOG_FLUSH_ENTRIES = 10_000
    search_log.search_log_flush()
    yield settings
    search_log.search_log_flush()


def submit(query: str, user_id: int | None = None, results: int = 5) -> str:
    return search_log.search_log_submit(query=query, user_id=user_id, result_count=results)


@pytest.mark.django_db
def test_searches_wait_in_the_buffer_and_flush_with_exact_counts(buffered):
    user = UserFactory()
    for _ in range(3):
        submit("蓝牙耳机")
    submit("Wireless  Headphones", user_id=user.pk)
    submit("没有的东西", results=0)
    assert SearchQuery.objects.count() == 0
    assert search_log.search_log_pending() == 5
    assert search_log.search_log_flush() == 5
    assert search_log.search_log_pending() == 0
    assert SearchQuery.objects.count() == 5
    counts = dict(Suggestion.objects.filter(kind="query").values_list("key", "search_count"))
    assert counts == {"蓝牙耳机": 3, "wireless headphones": 1}  # nothing found: not counted
    assert list(SearchHistory.objects.filter(user=user).values_list("query", flat=True)) == [
        "wireless headphones"
    ]


@pytest.mark.django_db
def test_a_flush_costs_the_same_queries_for_ten_searches_or_a_hundred(buffered):
    def flush_queries(times: int) -> int:
        for number in range(times):
            submit(("耳机", "面霜", "咖啡")[number % 3])
        with CaptureQueriesContext(connection) as captured:
            assert search_log.search_log_flush() == times
        return len(captured.captured_queries)

    flush_queries(10)  # the three queries become suggestions (a cache bump) on the first
    assert flush_queries(10) == flush_queries(100)
    assert Suggestion.objects.get(kind="query", key="耳机").search_count == 4 + 4 + 34


@pytest.mark.django_db
def test_history_keeps_the_latest_time_and_the_configured_size(buffered, settings):
    settings.SEARCH_HISTORY_SIZE = 2
    user = UserFactory()
    for query in ("一", "二", "一", "三"):
        submit(query, user_id=user.pk)
    search_log.search_log_flush()
    assert [entry.query for entry in selectors.search_history(user.pk)] == ["三", "一"]


@pytest.mark.django_db
def test_reading_ones_history_writes_ones_waiting_searches_first(buffered):
    user, other = UserFactory(), UserFactory()
    submit("耳机", user_id=user.pk)
    submit("面霜", user_id=user.pk)
    assert [entry.query for entry in selectors.search_history(other.pk)] == []
    assert search_log.search_log_pending() == 2  # another user's history does not flush
    assert [entry.query for entry in selectors.search_history(user.pk)] == ["面霜", "耳机"]
    assert search_log.search_log_pending() == 0


@pytest.mark.django_db
def test_crossing_the_suggestion_threshold_in_one_batch_drops_cached_completions(
    buffered, settings, django_capture_on_commit_callbacks
):
    settings.SEARCH_SUGGEST_MIN_SEARCHES = 3
    before = generations([SEARCH_INDEX_GENERATION])[SEARCH_INDEX_GENERATION]
    for _ in range(2):
        submit("新词")
    with django_capture_on_commit_callbacks(execute=True):
        search_log.search_log_flush()
    assert generations([SEARCH_INDEX_GENERATION])[SEARCH_INDEX_GENERATION] == before
    for _ in range(4):
        submit("新词")
    with django_capture_on_commit_callbacks(execute=True):
        search_log.search_log_flush()
    assert generations([SEARCH_INDEX_GENERATION])[SEARCH_INDEX_GENERATION] == before + 1
    assert Suggestion.objects.get(kind="query", key="新词").search_count == 6


@pytest.mark.django_db
def test_a_full_buffer_makes_the_request_write_its_own_search(buffered, monkeypatch):
    monkeypatch.setattr(search_log, "MAX_PENDING", 2)
    for _ in range(3):
        submit("满了")
    assert SearchQuery.objects.count() == 1
    assert search_log.search_log_pending() == 2
    search_log.search_log_flush()
    assert SearchQuery.objects.count() == 3
    assert Suggestion.objects.get(kind="query", key="满了").search_count == 3


@pytest.mark.django_db
def test_empty_and_private_queries(buffered):
    assert submit("   ") == ""
    assert submit("13812345678") == "13812345678"
    search_log.search_log_flush()
    assert SearchQuery.objects.count() == 1
    assert not Suggestion.objects.filter(kind="query").exists()


@pytest.mark.django_db(transaction=True)  # foreign keys are checked when a batch commits
def test_a_search_by_a_deleted_user_costs_only_itself(buffered):
    user, gone = UserFactory(), UserFactory()
    submit("留下", user_id=user.pk)
    submit("丢掉", user_id=gone.pk)
    gone_id = gone.pk
    gone.delete()
    assert search_log.search_log_flush() == 1
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["留下"]
    assert not SearchHistory.objects.filter(user_id=gone_id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_flushes_on_its_own(settings):
    settings.SEARCH_LOG_FLUSH_SECONDS = 0.05
    settings.SEARCH_LOG_FLUSH_ENTRIES = 10_000
    try:
        submit("后台写入")
        deadline = time.monotonic() + 10
        # Wait on the buffer, not the table: the test database (SQLite in memory, shared
        # cache) locks a table while the writer thread writes it.
        while search_log.search_log_pending() or search_log._log._flushing.locked():
            assert time.monotonic() < deadline, "the writer thread never flushed"
            time.sleep(0.05)
        assert SearchQuery.objects.filter(query="后台写入").count() == 1
        assert Suggestion.objects.get(kind="query", key="后台写入").search_count == 1
    finally:
        settings.SEARCH_LOG_FLUSH_SECONDS = 0.0
        search_log.search_log_flush()


def test_a_forked_child_starts_with_an_empty_buffer(settings):
    """What the parent held is the parent's to write: a child must not write it twice."""
    settings.SEARCH_LOG_FLUSH_SECONDS = 3600
    log = search_log._BufferedLog()
    log._pending.append(
        search_log.SearchEntry(query="父", user_id=None, result_count=1, searched_at=None)  # type: ignore[arg-type]
    )
    log._reset()  # what os.register_at_fork runs in the child
    assert log.pending_count() == 0
