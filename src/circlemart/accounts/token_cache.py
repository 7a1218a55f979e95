"""Bearer-token lookups remembered for a few seconds in the shared cache (Redis), so that an API
request need not read its token and user rows; revokes write tombstones over them first.

Remembered under the token's digest: the user id, the login family, a digest of the user's
security stamp and the token's expiry — never the user row. The rules that keep it safe:
- only a successful database lookup is remembered, and only with `add` (never overwriting):
  a lookup that read a row just before its revoke cannot put a stale success back over the
  revoke's tombstone;
- every revoke (one login, a replayed refresh token, logout everywhere, a password change)
  and every back-office change to a user writes tombstones over the user's or family's live
  access tokens inside its transaction, before the commit; a tombstone outlives any entry,
  and while it stands lookups go to the database. A revoke whose tombstones cannot be
  written fails, so it never reports success while a server could still trust the token;
- a remembered token gives a lazy `request.user` (`RememberedUser`) whose id is known at
  once; the first use of anything else reads the row and re-checks it (still active, same
  security stamp), so a change that bypassed the tombstones still ends the request with 401
  as soon as the user is looked at, and is seen by every request after `seconds()`.
Without Redis the cache is each process's own memory, where a revoke in one worker cannot
reach the others: remembering is then off. With Redis unreachable, lookups go to the database
(remembering nothing) and revokes fail.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from circlemart.accounts import errors, user_rows
from circlemart.accounts.models import User
from circlemart.core.errors import NotAuthenticated

if TYPE_CHECKING:
    _LazyUser = SimpleLazyObject[User]
else:
    _LazyUser = SimpleLazyObject

logger = logging.getLogger(__name__)

DEFAULT_SECONDS_WITH_REDIS = 5
# A tombstone must outlive every entry it covers and the revoking transaction.
TOMBSTONE_SECONDS = 300
TOMBSTONE = "revoked"  # also what recall() says when the cache cannot be asked
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
KEY_PREFIX = "accounts:token:"


def seconds() -> int:
    """How long a lookup is remembered: settings.ACCOUNTS_TOKEN_CACHE_SECONDS when set, else
    5 with Redis and 0 (off) without."""
    configured = getattr(settings, "ACCOUNTS_TOKEN_CACHE_SECONDS", None)
    if configured is not None:
        return max(int(configured), 0)
    return DEFAULT_SECONDS_WITH_REDIS if settings.REDIS_URL else 0


def stamp_digest(security_stamp: str) -> str:
    return hashlib.sha256(security_stamp.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RememberedToken:
    user_id: int
    family: str
    stamp_digest: str
    expires_at: float  # epoch seconds

    def is_live(self) -> bool:
        return self.expires_at > time.time()


def _key(digest: str) -> str:
    return f"{KEY_PREFIX}{digest}"


def recall(digest: str) -> RememberedToken | str | None:
    """The remembered lookup, TOMBSTONE (ask the database and remember nothing) or None."""
    try:
        value = cache.get(_key(digest))
    except UNREACHABLE:
        logger.warning("token cache unreachable: asking the database", exc_info=True)
        return TOMBSTONE
    if value == TOMBSTONE:
        return TOMBSTONE
    if isinstance(value, tuple) and len(value) == 4:
        return RememberedToken(*value)
    return None


def remember(digest: str, token: RememberedToken) -> None:
    """Remember a lookup the database just allowed, unless a tombstone (or another lookup)
    is there already."""
    ttl = min(seconds(), int(token.expires_at - time.time()))
    if ttl <= 0:
        return
    value = (token.user_id, token.family, token.stamp_digest, token.expires_at)
    try:
        cache.add(_key(digest), value, timeout=ttl)
    except UNREACHABLE:
        logger.warning("token cache unreachable: lookup not remembered", exc_info=True)


def forget(digests: Iterable[str]) -> None:
    """Tombstones over these tokens' lookups, on every server; call inside the transaction
    that revokes them, before it commits. Written whenever the cache is shared, even where
    this server remembers nothing itself (another may)."""
    if not (seconds() or settings.REDIS_URL):
        return
    keys = {_key(digest): TOMBSTONE for digest in digests}
    if keys:
        cache.set_many(keys, timeout=TOMBSTONE_SECONDS)


class RememberedUser(_LazyUser):
    """`request.user` for a remembered token: the id is known without a query; the row is
    read on the first use of anything else and re-checked then."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, token: RememberedToken, *, digest: str) -> None:
        self.__dict__["_remembered"] = token
        self.__dict__["_digest"] = digest
        super().__init__(self._load)

    @property
    def pk(self) -> int:
        token: RememberedToken = self.__dict__["_remembered"]
        return token.user_id

    id = pk

    def __bool__(self) -> bool:  # a user is always truthy; asking must not read the row
        return True

    @property
    def current_token_family(self) -> uuid.UUID:
        token: RememberedToken = self.__dict__["_remembered"]
        return uuid.UUID(token.family)

    def _load(self) -> User:
        token: RememberedToken = self.__dict__["_remembered"]
        # its row and groups in one hand-written query (accounts.user_rows)
        user = user_rows.user_with_groups(token.user_id)
        if (
            user is None
            or not user.is_active
            or stamp_digest(user.security_stamp) != token.stamp_digest
        ):
            forget([self.__dict__["_digest"]])
            raise NotAuthenticated(
                _("The token is invalid or has expired."), code=errors.TOKEN_INVALID
            )
        user.current_token_family = uuid.UUID(token.family)  # type: ignore[attr-defined]
        return user
