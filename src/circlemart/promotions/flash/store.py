"""The Redis side of flash sales: one atomic Lua script checks the time window, the per-user
count and the remaining units of an item and takes n of them, in one round trip.

Keys per item (prefix PROMOTIONS_FLASH_KEY_PREFIX, default "cm:flash:"):
  <prefix><item>:stock   units left (a counter)
  <prefix><item>:buyers  hash buyer id → units held (unpaid + paid)
  <prefix><item>:meta    hash starts, ends (epoch ms), limit, active
The database stays the truth: the stock key is loaded from it on first use (by one script, so
two loaders cannot interleave), and flash_services.flash_reconcile repairs any drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

DEFAULT_PREFIX = "cm:flash:"
KEEP_AFTER_END_MS = 24 * 3600 * 1000  # keys expire a day after the session ends

# Results of TAKE and CHECK: ≥ 0 is the number left after the take; negatives are refusals.
NOT_LOADED = -1
NOT_STARTED = -2
ENDED = -3
LIMIT_REACHED = -4
SOLD_OUT = -5
NOT_ENOUGH_LEFT = -6
INACTIVE = -7

# KEYS: stock, buyers, meta. ARGV: buyer, n, now (epoch ms), mutate (1 = take, 0 = check).
TAKE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local meta = redis.call('HMGET', KEYS[3], 'starts', 'ends', 'limit', 'active')
if meta[4] ~= '1' then return -7 end
local now = tonumber(ARGV[3])
if now < tonumber(meta[1]) then return -2 end
if now >= tonumber(meta[2]) then return -3 end
local n = tonumber(ARGV[2])
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held + n > tonumber(meta[3]) then return -4 end
local left = tonumber(redis.call('GET', KEYS[1]))
if left <= 0 then return -5 end
if left < n then return -6 end
if ARGV[4] == '1' then
  redis.call('DECRBY', KEYS[1], n)
  redis.call('HINCRBY', KEYS[2], ARGV[1], n)
end
return left - n
"""

# KEYS: stock, buyers. ARGV: buyer, n. Gives units back (a refused or released take).
GIVE_BACK_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local left = redis.call('INCRBY', KEYS[1], ARGV[2])
if redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2])) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return left
"""

# KEYS: stock, buyers, meta. ARGV: remaining, starts, ends, limit, active, expire_at, then
# buyer/count pairs. Loads an item once; a second loader finds the stock key and stops.
LOAD_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[3], 'starts', ARGV[2], 'ends', ARGV[3], 'limit', ARGV[4],
           'active', ARGV[5])
redis.call('SET', KEYS[1], ARGV[1])
for i = 1, 3 do redis.call('PEXPIREAT', KEYS[i], ARGV[6]) end
return 1
"""

# KEYS: stock, buyers, meta. ARGV: stock delta, starts, ends, limit, active, expire_at, then
# buyer/delta pairs. Repairs by deltas, so takes that run meanwhile are not overwritten.
ADJUST_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local left = redis.call('INCRBY', KEYS[1], ARGV[1])
for i = 7, #ARGV, 2 do
  if redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1]) <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
end
redis.call('HSET', KEYS[3], 'starts', ARGV[2], 'ends', ARGV[3], 'limit', ARGV[4],
           'active', ARGV[5])
for i = 1, 3 do redis.call('PEXPIREAT', KEYS[i], ARGV[6]) end
return left
"""

_SCRIPTS = {
    "take": TAKE_SCRIPT,
    "give_back": GIVE_BACK_SCRIPT,
    "load": LOAD_SCRIPT,
    "adjust": ADJUST_SCRIPT,
}
_registered: dict[tuple[int, str], Any] = {}


@dataclass(frozen=True)
class ItemState:
    """What Redis needs to know about an item, read from the database."""

    item_id: int
    remaining: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int
    is_active: bool
    buyers: dict[int, int] = field(default_factory=dict)  # buyer id → units held


def is_enabled() -> bool:
    """Redis decides first when REDIS_URL is set (PROMOTIONS_FLASH_BACKEND "db" turns it off)."""
    backend = settings.PROMOTIONS_FLASH_BACKEND
    return backend != "db" and bool(settings.REDIS_URL)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def connection() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def script(name: str) -> Any:
    """The named script registered once per client (EVALSHA, reloaded after a FLUSH)."""
    client = connection()
    key = (id(client), name)
    registered = _registered.get(key)
    if registered is None:
        registered = client.register_script(_SCRIPTS[name])
        _registered[key] = registered
    return registered


def keys(item_id: int) -> list[str]:
    prefix = settings.PROMOTIONS_FLASH_KEY_PREFIX
    return [f"{prefix}{item_id}:stock", f"{prefix}{item_id}:buyers", f"{prefix}{item_id}:meta"]


def take(*, item_id: int, buyer_id: int, quantity: int, now: datetime, mutate: bool = True) -> int:
    """≥ 0: taken (units left); < 0: a refusal code (NOT_LOADED: call load first)."""
    result = script("take")(
        keys=keys(item_id), args=[buyer_id, quantity, epoch_ms(now), 1 if mutate else 0]
    )
    return int(result)


def per_user_limit(item_id: int) -> int | None:
    """The item's per-user limit as the script sees it; None when Redis does not hold it."""
    raw = connection().hget(keys(item_id)[2], "limit")
    return None if raw is None else int(raw)


def give_back(*, item_id: int, buyer_id: int, quantity: int) -> None:
    script("give_back")(keys=keys(item_id)[:2], args=[buyer_id, quantity])


def _meta_args(state: ItemState) -> list[Any]:
    return [
        epoch_ms(state.starts_at),
        epoch_ms(state.ends_at),
        state.per_user_limit,
        1 if state.is_active else 0,
        epoch_ms(state.ends_at) + KEEP_AFTER_END_MS,
    ]


def load(state: ItemState) -> bool:
    """Put the item into Redis unless it is there already; True when this call loaded it."""
    pairs = [
        value for buyer, count in state.buyers.items() if count > 0 for value in (buyer, count)
    ]
    result = script("load")(
        keys=keys(state.item_id), args=[state.remaining, *_meta_args(state), *pairs]
    )
    return bool(result)


def snapshot(item_id: int) -> tuple[int | None, dict[int, int]]:
    """(units left, buyer → units) as Redis sees them now; (None, {}) when not loaded."""
    stock_key, buyers_key, _meta = keys(item_id)
    pipe = connection().pipeline(transaction=True)
    pipe.get(stock_key)
    pipe.hgetall(buyers_key)
    left, buyers = pipe.execute()
    if left is None:
        return None, {}
    return int(left), {int(buyer): int(count) for buyer, count in buyers.items()}


def adjust(state: ItemState, *, stock_delta: int, buyer_deltas: dict[int, int]) -> int | None:
    """Shift the counters by these deltas and refresh the item's window and limit."""
    pairs = [value for buyer, delta in buyer_deltas.items() if delta for value in (buyer, delta)]
    result = script("adjust")(
        keys=keys(state.item_id), args=[stock_delta, *_meta_args(state), *pairs]
    )
    return None if result is None else int(result)


def forget(item_id: int) -> None:
    connection().delete(*keys(item_id))
