"""The following feed's fan-out store: Redis sorted sets, one per reader and one per author.

Publishing an ordinary author's note adds it to each follower's set (in a Celery task, off the
request path); an author above SOCIAL_CELEBRITY_FOLLOWERS only gets it added to their own set,
and readers merge the sets of the celebrities they follow at read time. Sets are a cache of
candidates: every page is re-checked against the database (visibility, blocks, deletes), and
a missing or truncated set falls back to SQL, so both paths give the same feed.

Beside the sets, each reader's list of followed celebrities is remembered here (see
`cached_celebrities`): it is read on every page, and changes only with a follow, an unfollow,
a block or an author crossing SOCIAL_CELEBRITY_FOLLOWERS.

Score: published_at in integer microseconds (exact in a double until year 2255); member: the
zero-padded note id, so equal scores order by id exactly as the SQL keyset does.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Position = tuple[int, int]  # (score, note id); the feed runs from high to low
TOP: Position = (2**62, 2**62)


def enabled() -> bool:
    backend = settings.SOCIAL_FEED_BACKEND
    if backend == "sql":
        return False
    return bool(settings.REDIS_URL)


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _prefix() -> str:
    return str(settings.CACHES["default"].get("KEY_PREFIX", "")) + ":sf:"


def feed_key(user_id: int) -> str:
    return f"{_prefix()}feed:{user_id}"


def feed_ready_key(user_id: int) -> str:
    return f"{_prefix()}feed-ready:{user_id}"


def author_key(author_id: int) -> str:
    return f"{_prefix()}author:{author_id}"


def author_ready_key(author_id: int) -> str:
    return f"{_prefix()}author-ready:{author_id}"


def score_of(published_at: datetime) -> int:
    return (published_at - EPOCH) // timedelta(microseconds=1)


def member_of(note_id: int) -> str:
    return f"{note_id:012d}"


def _capacity() -> int:
    return int(settings.SOCIAL_FEED_MAX_ITEMS)


def is_ready(keys: list[str]) -> list[bool]:
    pipe = _redis().pipeline(transaction=False)
    for key in keys:
        pipe.exists(key)
    return [bool(found) for found in pipe.execute()]


def replace(*, key: str, ready_key: str, entries: Iterable[tuple[int, int]]) -> None:
    """Rebuild one set from the database's truth: (note id, score) pairs."""
    mapping = {member_of(note_id): score for note_id, score in entries}
    pipe = _redis().pipeline(transaction=True)
    pipe.delete(key)
    if mapping:
        pipe.zadd(key, mapping)
    pipe.set(ready_key, 1, ex=int(settings.SOCIAL_FEED_TTL_SECONDS))
    pipe.expire(key, int(settings.SOCIAL_FEED_TTL_SECONDS))
    pipe.execute()


def add(*, keys: Iterable[str], note_id: int, score: int) -> int:
    """Add one note to many sets (one round trip per batch), trimming each to capacity."""
    capacity = _capacity()
    member = member_of(note_id)
    pipe = _redis().pipeline(transaction=False)
    written = 0
    for key in keys:
        pipe.zadd(key, {member: score})
        pipe.zremrangebyrank(key, 0, -(capacity + 1))
        written += 1
    if written:
        pipe.execute()
    return written


def add_many(*, key: str, entries: Iterable[tuple[int, int]]) -> None:
    mapping = {member_of(note_id): score for note_id, score in entries}
    if not mapping:
        return
    pipe = _redis().pipeline(transaction=False)
    pipe.zadd(key, mapping)
    pipe.zremrangebyrank(key, 0, -(_capacity() + 1))
    pipe.execute()


def remove(*, key: str, note_ids: Iterable[int]) -> None:
    members = [member_of(note_id) for note_id in note_ids]
    if members:
        _redis().zrem(key, *members)


# A page's reads are Lua scripts: one round trip, answered in integers (redis-py's pipeline
# would spend more CPU turning each score into a float, in its response callbacks, than the
# reads cost), and only the entries the page asked for (the merge happens beside the data).
# `newest(sets, score, id, count, capacity)` is `after`'s answer: {incomplete flag, score,
# note id, score, note id, …}, newest first.
_NEWEST = """
local function older(s1, i1, s2, i2) return s1 < s2 or (s1 == s2 and i1 < i2) end
local function newest(sets, score, note_id, count, capacity)
  local fetched = count + 8  -- inclusive of the position's score (ties): skip those
  local streams, horizon_score, horizon_id = {}, nil, nil
  for i, key in ipairs(sets) do
    local rows = redis.call('ZREVRANGEBYSCORE', key, score, '-inf', 'WITHSCORES',
                            'LIMIT', 0, fetched)
    local below = {}
    for j = 1, #rows, 2 do
      local found_score, found_id = tonumber(rows[j + 1]), tonumber(rows[j])
      if older(found_score, found_id, score, note_id) then
        below[#below + 1] = {found_score, found_id}
      end
    end
    -- Below the lowest entry a trimmed set still holds, that set may be missing entries.
    if #rows / 2 < fetched and redis.call('ZCARD', key) >= capacity then
      local low_score, low_id = score, note_id
      if #below > 0 then low_score, low_id = below[#below][1], below[#below][2] end
      if horizon_score == nil or older(horizon_score, horizon_id, low_score, low_id) then
        horizon_score, horizon_id = low_score, low_id
      end
    end
    streams[i] = {entries = below, next = 1}
  end
  local merged, seen, taken = {}, {}, 0
  while taken < count do
    local best = nil
    for _, stream in ipairs(streams) do
      local head = stream.entries[stream.next]
      if head and (best == nil or older(best.entries[best.next][1],
                                        best.entries[best.next][2], head[1], head[2])) then
        best = stream
      end
    end
    if best == nil then break end
    local entry = best.entries[best.next]
    best.next = best.next + 1
    if horizon_score ~= nil and older(entry[1], entry[2], horizon_score, horizon_id) then
      break
    end
    if not seen[entry[2]] then
      seen[entry[2]] = true
      merged[#merged + 1] = entry[1]
      merged[#merged + 1] = entry[2]
      taken = taken + 1
    end
  end
  local incomplete = 0
  if horizon_score ~= nil and taken < count then incomplete = 1 end
  table.insert(merged, 1, incomplete)
  return merged
end
"""
# KEYS: the ready keys (ARGV[1] of them), then the sets. ARGV: that count, the position's
# score and note id, the count, the sets' capacity. Answer: {{exists of each ready key},
# newest(…)}.
_AFTER_SCRIPT = (
    _NEWEST
    + """
local ready_count = tonumber(ARGV[1])
local ready, sets = {}, {}
for i = 1, ready_count do ready[i] = redis.call('EXISTS', KEYS[i]) end
for i = ready_count + 1, #KEYS do sets[#sets + 1] = KEYS[i] end
return {ready, newest(sets, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),
                      tonumber(ARGV[5]))}
"""
)
# A reader's first round: their remembered celebrities (see cached_celebrities) and, when
# those are current, `after` over every set with ready flags. The celebrities' keys are
# derived here from the remembered ids (one Redis server, as everywhere in this project).
# KEYS: celebrity-gen, graph-gen:<reader>, celebrities:<reader>, feed-ready:<reader>,
# feed:<reader>. ARGV: the threshold, the key prefix, then as _AFTER_SCRIPT from the score.
# Answer: {stamp} when nothing current is remembered, else
# {stamp, {celebrity ids}, {ready flags: reader, celebrities…}, newest(…)}.
_FIRST_ROUND_SCRIPT = (
    _NEWEST
    + """
local stamp = ARGV[1] .. ':' .. (redis.call('GET', KEYS[1]) or '0') .. ':'
  .. (redis.call('GET', KEYS[2]) or '0')
local entry = redis.call('GET', KEYS[3])
if (not entry) or string.sub(entry, 1, #stamp + 1) ~= stamp .. '|' then return {stamp} end
local celebrities, ready, sets = {}, {redis.call('EXISTS', KEYS[4])}, {KEYS[5]}
for id in string.gmatch(string.sub(entry, #stamp + 2), '%d+') do
  celebrities[#celebrities + 1] = tonumber(id)
  ready[#ready + 1] = redis.call('EXISTS', ARGV[2] .. 'author-ready:' .. id)
  sets[#sets + 1] = ARGV[2] .. 'author:' .. id
end
return {stamp, celebrities, ready, newest(sets, tonumber(ARGV[3]), tonumber(ARGV[4]),
                                           tonumber(ARGV[5]), tonumber(ARGV[6]))}
"""
)


@functools.cache
def _script(source: str) -> Any:
    # The client is passed at each call; this only keeps the script's digest.
    return _redis().register_script(source)


def _newest(answer: list[int]) -> tuple[list[Position], bool]:
    """`newest`'s answer: the entries, and whether the caller must continue in SQL."""
    return list(zip(answer[1::2], answer[2::2], strict=True)), bool(answer[0])


def after(
    *, keys: list[str], position: Position, count: int, ready_keys: list[str] | None = None
) -> tuple[list[Position], bool, list[bool]]:
    """The `count` newest entries strictly below `position` across `keys` (deduplicated).

    The flag says whether the answer may be incomplete because a set ran out while holding
    its full capacity (older entries were trimmed): the caller continues in SQL from there.
    `ready_keys` are checked in the same round trip; the last item says which exist (when one
    is missing the entries are not to be trusted: rebuild and ask again).
    """
    ready_keys = ready_keys or []
    ready, answer = _script(_AFTER_SCRIPT)(
        keys=[*ready_keys, *keys],
        args=[len(ready_keys), *position, count, _capacity()],
        client=_redis(),
    )
    entries, incomplete = _newest(answer)
    return entries, incomplete, [bool(found) for found in ready]


@dataclass(frozen=True)
class FirstRound:
    """A reader's first round of a page (`first_round`). `celebrities` is None when the
    reader's followed celebrities are not remembered under the current generations: compute
    them, `remember_celebrities(stamp=…)`, and read with `after`."""

    stamp: str
    celebrities: list[int] | None = None
    entries: list[Position] = field(default_factory=list)
    continue_in_sql: bool = False
    ready: list[bool] = field(default_factory=list)  # the reader's set, then each celebrity's


def first_round(*, user_id: int, threshold: int, position: Position, count: int) -> FirstRound:
    """The reader's remembered celebrities and `after` over their set and those celebrities'
    sets, with ready flags, in one round trip."""
    answer = _script(_FIRST_ROUND_SCRIPT)(
        keys=[
            celebrity_generation_key(),
            graph_generation_key(user_id),
            celebrities_key(user_id),
            feed_ready_key(user_id),
            feed_key(user_id),
        ],
        args=[threshold, _prefix(), *position, count, _capacity()],
        client=_redis(),
    )
    stamp = answer[0].decode()
    if len(answer) == 1:
        return FirstRound(stamp=stamp)
    celebrities, ready = answer[1], answer[2]
    entries, incomplete = _newest(answer[3])
    return FirstRound(
        stamp=stamp,
        celebrities=list(celebrities),
        entries=entries,
        continue_in_sql=incomplete,
        ready=[bool(found) for found in ready],
    )


# --- Followed celebrities per reader -----------------------------------------------------------
# An entry carries the generations it was computed under: the reader's own (bumped after a
# follow, unfollow or block of theirs commits) and the global one (bumped after an author
# crosses the celebrity threshold, or a bulk import). A reader who finds an entry under other
# generations recomputes it from the database. The bump comes after the commit and the reader
# reads the generations before the database, so a list computed from data older than a change
# is always stored under the generation that change left behind: never served again.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def celebrities_key(user_id: int) -> str:
    return f"{_prefix()}celebrities:{user_id}"


def graph_generation_key(user_id: int) -> str:
    return f"{_prefix()}graph-gen:{user_id}"


def celebrity_generation_key() -> str:
    return f"{_prefix()}celebrity-gen"


def _celebrity_seconds() -> int:
    return int(settings.SOCIAL_FEED_CELEBRITY_CACHE_SECONDS)


def _generation_seconds() -> int:
    # Longer than any entry lives: a generation key that expired and started over cannot
    # meet an entry stored under its old number.
    return max(2 * _celebrity_seconds(), 24 * 3600)


def cached_celebrities(user_id: int, *, threshold: int) -> tuple[list[int] | None, str]:
    """(the reader's remembered list, or None when there is none for the current
    generations; the stamp to remember a freshly computed list under). One round trip."""
    global_generation, own_generation, entry = _redis().mget(
        [celebrity_generation_key(), graph_generation_key(user_id), celebrities_key(user_id)]
    )
    stamp = f"{threshold}:{int(global_generation or 0)}:{int(own_generation or 0)}"
    if entry is not None:
        found_stamp, _, ids = entry.decode().partition("|")
        if found_stamp == stamp:
            return [int(author_id) for author_id in ids.split(",") if author_id], stamp
    return None, stamp


def remember_celebrities(user_id: int, *, stamp: str, author_ids: list[int]) -> None:
    value = stamp + "|" + ",".join(str(author_id) for author_id in author_ids)
    _redis().set(celebrities_key(user_id), value, ex=_celebrity_seconds())


def _bump(keys: list[str]) -> None:
    try:
        pipe = _redis().pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, _generation_seconds())
        pipe.execute()
    except UNREACHABLE:
        # After the commit there is nothing to undo: entries then live out their TTL
        # (SOCIAL_FEED_CELEBRITY_CACHE_SECONDS) at most.
        logger.exception("could not forget followed celebrities (%s)", ", ".join(keys))


def readers_follows_changed(user_ids: Iterable[int]) -> None:
    """These readers' follows changed (call after the commit)."""
    _bump([graph_generation_key(user_id) for user_id in sorted(set(user_ids))])


def celebrities_changed() -> None:
    """Who is a celebrity changed, or many follows at once (call after the commit)."""
    _bump([celebrity_generation_key()])
