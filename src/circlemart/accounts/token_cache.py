"""Bearer-token lookups remembered for a few seconds in the shared cache (Redis), so that an API
request need not read its token and user rows; revokes write tombstones over them first.

Remembered under the token's digest: the user id, the login family, a digest of the user's
security stamp, the token's expiry and a snapshot of the user's row and groups as the lookup
read them (accounts.user_rows.UserSnapshot: raw values, encrypted columns still encrypted, no
password hash, security stamp or last sign-in time). The rules that keep it safe:
- only a successful database lookup is remembered, and only with `add` (never overwriting):
  a lookup that read a row just before its revoke cannot put a stale success back over the
  revoke's tombstone;
- every revoke (one login, a replayed refresh token, logout everywhere, a password change)
  and every back-office change to a user writes tombstones over the user's or family's live
  access tokens inside its transaction, before the commit; a tombstone outlives any entry,
  and while it stands lookups go to the database. A revoke whose tombstones cannot be
  written fails, so it never reports success while a server could still trust the token;
- every change to a user row or its groups through the ORM writes tombstones too, before
  it commits: a model save or delete, a queryset update or delete on users, a group
  membership change from either side, a group renamed or deleted (`connect_invalidation`);
- a remembered token gives a lazy `request.user` (`RememberedUser`) whose id is known at
  once; the first use of anything else builds the user from the snapshot, or, for an entry
  without one, reads the row and re-checks it (still active, same security stamp). A change
  that bypassed the ORM (raw SQL) is seen by every request after `seconds()`.
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
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from circlemart.accounts import errors, user_rows
from circlemart.accounts.models import ApiToken, User
from circlemart.core import clock
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
    user: user_rows.UserSnapshot | None = None  # None: the row is read on first use

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
    if isinstance(value, tuple) and len(value) == 4:  # an entry from before snapshots
        return RememberedToken(*value)
    if isinstance(value, tuple) and len(value) == 5:
        user_id, family, stamp, expires_at, (shape, row, groups) = value
        snapshot = user_rows.UserSnapshot(shape, row, groups)
        return RememberedToken(user_id, family, stamp, expires_at, user=snapshot)
    return None


def remember(digest: str, token: RememberedToken) -> None:
    """Remember a lookup the database just allowed, unless a tombstone (or another lookup)
    is there already."""
    ttl = min(seconds(), int(token.expires_at - time.time()))
    if ttl <= 0:
        return
    value: tuple[object, ...] = (token.user_id, token.family, token.stamp_digest, token.expires_at)
    if token.user is not None:  # plain tuples: an entry must not name a class to unpickle
        value += ((token.user.shape, token.user.user, token.user.groups),)
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


def forget_users(user_ids: Iterable[int] | QuerySet[Any, Any]) -> None:
    """Tombstones over the remembered lookups of these users' live access tokens (their
    snapshots are stale from now on); call before the change commits."""
    if not (seconds() or settings.REDIS_URL):
        return
    forget(
        ApiToken.objects.filter(
            user_id__in=user_ids, kind=ApiToken.Kind.ACCESS, expires_at__gt=clock.now()
        ).values_list("digest", flat=True)
    )


def user_fields_changing(
    user_ids: Iterable[int] | QuerySet[Any, Any], fields: Iterable[str] | None
) -> None:
    """Before these users' fields change (None: any field): their snapshots are stale unless
    only fields no snapshot holds change."""
    if fields is not None and set(fields) <= user_rows.UNSNAPSHOTTED_FIELDS:
        return
    forget_users(user_ids)


def _user_saved(
    sender: type[User],
    instance: User,
    created: bool,
    raw: bool,
    update_fields: frozenset[str] | None = None,
    **_: Any,
) -> None:
    if not created and not raw:
        user_fields_changing([instance.pk], update_fields)


def _user_deleted(sender: type[User], instance: User, **_: Any) -> None:
    forget_users([instance.pk])


def _group_changed(sender: type[Group], instance: Group, raw: bool = False, **_: Any) -> None:
    if instance.pk is not None and not raw:
        forget_users(User.groups.through.objects.filter(group_id=instance.pk).values("user_id"))


def _membership_changing(
    instance: User | Group, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:  # user.groups.add(...)
        forget_users([instance.pk])
    elif pk_set:  # group.user_set.add(users...)
        forget_users(pk_set)
    elif action == "pre_clear":
        _group_changed(Group, cast(Group, instance))


def connect_invalidation() -> None:
    """Every ORM write to a user row or its groups tombstones the user's remembered tokens
    (queryset updates and deletes do it in accounts.models.UserQuerySet)."""
    post_save.connect(_user_saved, sender=User, dispatch_uid="token-cache-user-saved")
    pre_delete.connect(_user_deleted, sender=User, dispatch_uid="token-cache-user-deleted")
    post_save.connect(_group_changed, sender=Group, dispatch_uid="token-cache-group-saved")
    pre_delete.connect(_group_changed, sender=Group, dispatch_uid="token-cache-group-deleted")
    m2m_changed.connect(
        _membership_changing, sender=User.groups.through, dispatch_uid="token-cache-membership"
    )


class RememberedUser(_LazyUser):
    """`request.user` for a remembered token: the id is known without a query; the user is
    built on the first use of anything else, from the entry's snapshot (or, for an entry
    without one, from its row, read and re-checked then)."""

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
        user = user_rows.user_from_snapshot(token.user) if token.user is not None else None
        if user is not None:  # checked when remembered; any change since wrote a tombstone
            user.current_token_family = uuid.UUID(token.family)  # type: ignore[attr-defined]
            return user
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
