"""The user behind a bearer token, with their groups, in one hand-written query.

Every signed-in API request reads this, so it is written once by hand (as
core.idempotency._record_exists is): building the same SELECT of some 25 columns through the
ORM cost several times the query itself (`/api/v1/me` spent 60% of its CPU compiling SQL). The
columns come from the models' own fields and each value goes through the converters the ORM
itself would apply, then `Model.from_db`, so the instances are exactly those of a queryset.
The user's groups come in the same query (a LEFT JOIN, one row per group) and are stored as
`prefetch_related("groups")` would store them: `user.groups.all()` (roles) then needs no
query, and changing the user's groups through the manager forgets them as usual.

A token lookup also keeps the user's raw values (`UserSnapshot`) for the token cache, so a
remembered token can rebuild its user without a query. The snapshot holds the columns as the
database returned them, before the ORM's converters, less the password hash, the security
stamp and the last sign-in time: encrypted columns stay encrypted in the cache, and those three
are read from the database if anything asks for them (deferred, as with `.only()`).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from circlemart.accounts.models import ApiToken, User

_Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class _Columns:
    """How one model's concrete columns are selected under an alias and turned back into an
    instance (the ORM's converters are bound to the connection they were asked of)."""

    model: type[Model]
    attnames: tuple[str, ...]
    select: str
    converters: tuple[tuple[int, tuple[_Converter, ...], Any], ...]

    def __len__(self) -> int:
        return len(self.attnames)

    def instance(self, row: Sequence[Any], start: int, db: BaseDatabaseWrapper) -> Any:
        values = list(row[start : start + len(self.attnames)])
        for position, converters, column in self.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, column, db)
            values[position] = value
        return self.model.from_db(db.alias, list(self.attnames), values)


def _columns(
    model: type[Model],
    alias: str,
    db: BaseDatabaseWrapper,
    *,
    exclude: frozenset[str] = frozenset(),
) -> _Columns:
    quote = db.ops.quote_name
    fields: list[Field[Any, Any]] = [
        field for field in model._meta.concrete_fields if field.attname not in exclude
    ]
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(alias)
        found = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if found:
            converters.append((position, tuple(found), column))
    return _Columns(
        model=model,
        attnames=tuple(field.attname for field in fields),
        select=", ".join(f"{quote(alias)}.{quote(str(field.column))}" for field in fields),
        converters=tuple(converters),
    )


# Written on every sign-in and read by no request: left out of snapshots, so that signing in
# on one device does not make the user's other devices' tokens forget theirs.
UNSNAPSHOTTED_FIELDS = frozenset({"last_login"})
# Never copied into a snapshot (the cache is not where a password hash or a stamp should live).
_NOT_SNAPSHOT = frozenset({"password", "security_stamp"}) | UNSNAPSHOTTED_FIELDS


@dataclass(frozen=True)
class UserSnapshot:
    """A user's raw row values and their groups' raw rows, as read with a token; `shape` names
    the columns, so a snapshot taken before a schema change is never read after it."""

    shape: str
    user: tuple[Any, ...]
    groups: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class _Statements:
    token: _Columns
    user: _Columns
    group: _Columns
    user_by_id: str
    user_by_token: str
    snapshot_positions: tuple[int, ...]  # of the user's columns kept in a snapshot
    snapshot_user: _Columns
    snapshot_shape: str


def _statements_for(db: BaseDatabaseWrapper) -> _Statements:
    quote = db.ops.quote_name
    token, user, group = (
        _columns(ApiToken, "t", db),
        _columns(User, "u", db),
        _columns(Group, "g", db),
    )
    membership = User.groups.through
    user_column = quote(User.groups.field.m2m_column_name())
    group_column = quote(User.groups.field.m2m_reverse_name())
    with_groups = (
        f"LEFT JOIN {quote(membership._meta.db_table)} {quote('ug')} "
        f"ON {quote('ug')}.{user_column} = {quote('u')}.{quote('id')} "
        f"LEFT JOIN {quote(Group._meta.db_table)} {quote('g')} "
        f"ON {quote('g')}.{quote('id')} = {quote('ug')}.{group_column}"
    )
    users = f"{quote(User._meta.db_table)} {quote('u')}"
    # The models' own names (their fields have no db_column); every value is a parameter.
    user_by_id = (
        f"SELECT {user.select}, {group.select} FROM {users} {with_groups} "  # noqa: S608
        f"WHERE {quote('u')}.{quote('id')} = %s"
    )
    t = quote("t")
    user_by_token = (
        f"SELECT {token.select}, {user.select}, {group.select} "  # noqa: S608
        f"FROM {quote(ApiToken._meta.db_table)} {t} "
        f"INNER JOIN {users} ON {quote('u')}.{quote('id')} = {t}.{quote('user_id')} "
        f"{with_groups} "
        f"WHERE {t}.{quote('digest')} = %s AND {t}.{quote('kind')} = %s "
        f"AND {t}.{quote('revoked_at')} IS NULL AND {t}.{quote('expires_at')} > %s"
    )
    positions = tuple(
        position for position, attname in enumerate(user.attnames) if attname not in _NOT_SNAPSHOT
    )
    snapshot_user = _columns(User, "u", db, exclude=_NOT_SNAPSHOT)
    shape = hashlib.sha256(
        repr((db.vendor, snapshot_user.attnames, group.attnames)).encode()
    ).hexdigest()[:16]
    return _Statements(
        token, user, group, user_by_id, user_by_token, positions, snapshot_user, shape
    )


# Per connection object: the converters are bound to it (threads each have their own).
_statements: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Statements] = (
    weakref.WeakKeyDictionary()
)


def _statements_of(db: BaseDatabaseWrapper) -> _Statements:
    statements = _statements.get(db)
    if statements is None:
        statements = _statements[db] = _statements_for(db)
    return statements


def _groups_remembered(user: User, groups: list[Group]) -> None:
    """As prefetch_related("groups") leaves them (django.db.models.query.prefetch_one_level)."""
    manager = user.groups
    queryset = manager.get_queryset()
    queryset._result_cache = groups
    queryset._prefetch_done = True  # type: ignore[attr-defined]
    cache = getattr(user, "_prefetched_objects_cache", None)
    if cache is None:
        cache = user._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    cache[manager.prefetch_cache_name] = queryset  # type: ignore[attr-defined]


def _groups_of(
    rows: Sequence[Sequence[Any]], start: int, statements: _Statements, db: BaseDatabaseWrapper
) -> list[Group]:
    # the LEFT JOIN gives a user in no group one row of NULLs
    return [statements.group.instance(row, start, db) for row in rows if row[start] is not None]


def user_with_groups(user_id: int) -> User | None:
    """The user's row (active or not: the caller judges) with their groups, or None."""
    db = connections[DEFAULT_DB_ALIAS]
    statements = _statements_of(db)
    with db.cursor() as cursor:
        cursor.execute(statements.user_by_id, [user_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    user: User = statements.user.instance(rows[0], 0, db)
    _groups_remembered(user, _groups_of(rows, len(statements.user), statements, db))
    return user


def live_access_token(digest: str, *, now: datetime) -> ApiToken | None:
    """The access token with this digest, unrevoked and unexpired at `now`, with its user (and
    the user's groups) loaded; the caller judges the user (active, same security stamp)."""
    db = connections[DEFAULT_DB_ALIAS]
    statements = _statements_of(db)
    kind = ApiToken._meta.get_field("kind").get_db_prep_value(
        ApiToken.Kind.ACCESS, db, prepared=False
    )
    expires_at = ApiToken._meta.get_field("expires_at").get_db_prep_value(now, db, prepared=False)
    with db.cursor() as cursor:
        cursor.execute(statements.user_by_token, [digest, kind, expires_at])
        rows = cursor.fetchall()
    if not rows:
        return None
    token: ApiToken = statements.token.instance(rows[0], 0, db)
    user_start = len(statements.token)
    user: User = statements.user.instance(rows[0], user_start, db)
    groups_start = user_start + len(statements.user)
    _groups_remembered(user, _groups_of(rows, groups_start, statements, db))
    token._state.fields_cache["user"] = user  # as select_related("user") leaves it
    user._row_snapshot = UserSnapshot(  # type: ignore[attr-defined]
        shape=statements.snapshot_shape,
        user=tuple(
            _plain(rows[0][user_start + position]) for position in statements.snapshot_positions
        ),
        groups=tuple(
            tuple(_plain(value) for value in row[groups_start:])
            for row in rows
            if row[groups_start] is not None
        ),
    )
    return token


def snapshot_of(user: User) -> UserSnapshot | None:
    """The raw values a token lookup read this user from (live_access_token), if it did."""
    return getattr(user, "_row_snapshot", None)


def user_from_snapshot(snapshot: UserSnapshot) -> User | None:
    """The user (with groups) as the snapshot's row gives it, without a query; None when the
    snapshot was taken with other columns than this code reads."""
    db = connections[DEFAULT_DB_ALIAS]
    statements = _statements_of(db)
    if snapshot.shape != statements.snapshot_shape:
        return None
    user: User = statements.snapshot_user.instance(snapshot.user, 0, db)
    _groups_remembered(user, [statements.group.instance(row, 0, db) for row in snapshot.groups])
    return user


def _plain(value: Any) -> Any:
    # psycopg returns bytea as memoryview, which cannot be pickled into the cache.
    return bytes(value) if isinstance(value, memoryview) else value
