"""Recording searches: the search log, signed-in users' history and popular-query counts.

Searches are written in batches, never one commit per search. With SEARCH_LOG_FLUSH_SECONDS
> 0 a per-process writer thread takes them off the request's path and writes what it holds
every that many seconds (or sooner once SEARCH_LOG_FLUSH_ENTRIES wait), and at exit; 0 writes
in the request. A batch is one transaction: one INSERT of log rows, one upsert of history rows,
and one `search_count = search_count + n` UPDATE per group of terms searched n times, so the
counts stay exact. A crash loses at most what the process still held.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import F

from circlemart.core import cache, clock
from circlemart.search import segment
from circlemart.search.contracts import SEARCH_INDEX_GENERATION
from circlemart.search.models import SearchHistory, SearchQuery, Suggestion

logger = logging.getLogger(__name__)

# Past this many waiting searches a request writes its own (back-pressure, nothing lost).
MAX_PENDING = 20_000
# A batch that failed on a passing database error is tried again this many times.
MAX_ATTEMPTS = 3
CHUNK = 500
_PRIVATE_DIGITS = re.compile(r"\d{7,}")


@dataclass(frozen=True)
class SearchEntry:
    query: str  # normalised
    user_id: int | None
    result_count: int
    searched_at: datetime


def flush_seconds() -> float:
    return float(getattr(settings, "SEARCH_LOG_FLUSH_SECONDS", 0.0))


def _flush_entries() -> int:
    return max(1, int(getattr(settings, "SEARCH_LOG_FLUSH_ENTRIES", 500)))


def suggestible(query: str) -> bool:
    """Seven or more digits in a row look like a phone, order or ID number: never suggested."""
    return not _PRIVATE_DIGITS.search(query.replace(" ", ""))


def entry_for(*, query: str, user_id: int | None, result_count: int) -> SearchEntry | None:
    text = segment.normalise(query)
    if not text:
        return None
    return SearchEntry(
        query=text,
        user_id=user_id,
        result_count=max(int(result_count), 0),
        searched_at=clock.now(),
    )


# --- The batch write ---------------------------------------------------------------------------


def write_entries(entries: list[SearchEntry]) -> None:
    """Write a batch of searches in one transaction (rows locked in one global order)."""
    if not entries:
        return
    with transaction.atomic():
        SearchQuery.objects.bulk_create(
            [
                SearchQuery(
                    query=entry.query,
                    user_id=entry.user_id,
                    result_count=entry.result_count,
                    created_at=entry.searched_at,
                )
                for entry in entries
            ],
            batch_size=CHUNK,
        )
        _write_history(entries)
        _count_popular(entries)


def _write_history(entries: list[SearchEntry]) -> None:
    latest: dict[tuple[int, str], datetime] = {}
    for entry in entries:
        if entry.user_id is None:
            continue
        key = (entry.user_id, entry.query)
        if key not in latest or entry.searched_at > latest[key]:
            latest[key] = entry.searched_at
    if not latest:
        return
    # One row per (user, query) in a fixed order: an upsert may not touch a row twice, and
    # two writers upserting in one order cannot deadlock.
    SearchHistory.objects.bulk_create(
        [
            SearchHistory(user_id=user_id, query=query, searched_at=searched_at)
            for (user_id, query), searched_at in sorted(latest.items())
        ],
        update_conflicts=True,
        unique_fields=["user", "query"],
        update_fields=["searched_at"],
        batch_size=CHUNK,
    )
    keep = int(getattr(settings, "SEARCH_HISTORY_SIZE", 20))
    for user_id in sorted({user_id for user_id, _query in latest}):
        newest = SearchHistory.objects.filter(user_id=user_id).order_by("-searched_at", "-id")[
            :keep
        ]
        SearchHistory.objects.filter(user_id=user_id).exclude(pk__in=newest.values("pk")).delete()


def _count_popular(entries: list[SearchEntry]) -> None:
    counts = Counter(
        entry.query for entry in entries if entry.result_count > 0 and suggestible(entry.query)
    )
    if not counts:
        return
    terms = sorted(counts)
    Suggestion.objects.bulk_create(
        [Suggestion(kind=Suggestion.Kind.QUERY, key=term, text=term) for term in terms],
        ignore_conflicts=True,
        batch_size=CHUNK,
    )
    if connection.features.has_select_for_update:
        for start in range(0, len(terms), CHUNK):
            list(
                Suggestion.objects.select_for_update()
                .filter(kind=Suggestion.Kind.QUERY, key__in=terms[start : start + CHUNK])
                .order_by("key")
                .values_list("pk", flat=True)
            )
    by_count: dict[int, list[str]] = defaultdict(list)
    for term, count in counts.items():
        by_count[count].append(term)
    threshold = int(getattr(settings, "SEARCH_SUGGEST_MIN_SEARCHES", 3))
    became_visible = False
    for count, keys in sorted(by_count.items()):
        for start in range(0, len(keys), CHUNK):
            chunk = sorted(keys)[start : start + CHUNK]
            query = Suggestion.objects.filter(kind=Suggestion.Kind.QUERY, key__in=chunk)
            query.update(search_count=F("search_count") + count)
            # Crossed the threshold with this batch: a completion others see from now on.
            # Later counts only reorder completions, which may wait for the next index change.
            became_visible = (
                became_visible
                or query.filter(
                    search_count__gte=threshold, search_count__lt=threshold + count
                ).exists()
            )
    if became_visible:
        cache.bump(SEARCH_INDEX_GENERATION)


def _write_each(entries: list[SearchEntry]) -> int:
    """After a batch broke a constraint (say a user deleted meanwhile): write one by one, so
    one bad search costs only itself. Returns how many were written."""
    written = 0
    for entry in entries:
        try:
            write_entries([entry])
            written += 1
        except IntegrityError:
            logger.warning("dropped a search that no longer fits the database: %r", entry.query)
    return written


# --- The per-process writer --------------------------------------------------------------------


class _BufferedLog:
    """Searches waiting for this process's writer thread (started lazily, again after fork)."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # A forked child starts empty: what the parent held is the parent's to write.
        self._lock = threading.Lock()
        self._pending: list[SearchEntry] = []
        self._attempts: list[tuple[list[SearchEntry], int]] = []
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._every = 1.0
        self._retimed = False
        self._flushing = threading.Lock()

    def submit(self, entry: SearchEntry, every: float) -> None:
        with self._lock:
            overflow = len(self._pending) >= MAX_PENDING
            if not overflow:
                self._pending.append(entry)
                self._ensure_thread(every)
                if len(self._pending) >= _flush_entries():
                    self._wake.set()
        if overflow:
            write_entries([entry])

    def _ensure_thread(self, every: float) -> None:
        if every != self._every:  # the setting changed: the sleeping thread takes it up now
            self._every = every
            self._retimed = True
            self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="search-log", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._every)
            self._wake.clear()
            if self._retimed:  # woken to sleep on the new interval, not to write
                self._retimed = False
                continue
            if not self.pending_count():  # idle: no database round trip at all
                continue
            try:
                self.flush()
            finally:
                close_old_connections()

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending) + sum(len(batch) for batch, _tries in self._attempts)

    def holds_user(self, user_id: int) -> bool:
        with self._lock:
            return any(entry.user_id == user_id for entry in self._pending) or any(
                entry.user_id == user_id for batch, _tries in self._attempts for entry in batch
            )

    def flush(self) -> int:
        """Write what this process holds; returns how many searches were written."""
        with self._flushing:  # one writer at a time keeps a user's searches in order
            with self._lock:
                retries, self._attempts = self._attempts, []
                batches = [*retries, (self._pending, 0)]
                self._pending = []
            written = 0
            for batch, tries in batches:
                if not batch:
                    continue
                try:
                    write_entries(batch)
                    written += len(batch)
                except IntegrityError:
                    written += _write_each(batch)
                except DatabaseError:
                    if tries + 1 >= MAX_ATTEMPTS:
                        logger.exception(
                            "dropped %d searches after %d tries", len(batch), tries + 1
                        )
                    else:
                        logger.warning("search log write failed; trying again", exc_info=True)
                        with self._lock:
                            self._attempts.append((batch, tries + 1))
            return written


_log = _BufferedLog()
atexit.register(_log.flush)


def search_log_submit(*, query: str, user_id: int | None, result_count: int) -> str:
    """Record a search from a request: buffered when SEARCH_LOG_FLUSH_SECONDS > 0, else
    written now. Returns the normalised query ("" = not recorded)."""
    entry = entry_for(query=query, user_id=user_id, result_count=result_count)
    if entry is None:
        return ""
    every = flush_seconds()
    if every > 0:
        _log.submit(entry, every)
    else:
        write_entries([entry])
    return entry.query


def search_log_flush() -> int:
    """Write the searches this process still holds; returns how many."""
    return _log.flush()


def search_log_flush_for(user_id: int) -> int:
    """Before showing a user their history: write what this process holds for them (their
    own searches show at once when served by the same process, within a flush otherwise)."""
    return _log.flush() if _log.holds_user(user_id) else 0


def search_log_pending() -> int:
    return _log.pending_count()
