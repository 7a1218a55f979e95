"""Reads of the accounts context, scoped to what the caller may see."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from circlemart.accounts import token_cache, user_rows
from circlemart.accounts.contracts import ContactSignals, Role, UserCard
from circlemart.accounts.models import Address, ApiToken, User
from circlemart.accounts.signin.device import COOKIE_NAME as DEVICE_COOKIE
from circlemart.accounts.signin.device import device_owner_id
from circlemart.accounts.tokens import ACCESS_PREFIX, token_digest
from circlemart.core import clock
from circlemart.core.crypto import lookup_digest


def _live_access_token(digest: str) -> ApiToken | None:
    # One hand-written query for the token, its user and the user's groups (user_rows).
    row = user_rows.live_access_token(digest, now=clock.now())
    if row is None or not row.user.is_active or row.security_stamp != row.user.security_stamp:
        return None
    row.user.current_token_family = row.family  # type: ignore[attr-defined]
    return row


def user_by_access_token(token: str) -> User | None:
    """The live user behind a bearer token, in one query; None for anything stale."""
    if not token.startswith(ACCESS_PREFIX):
        return None
    row = _live_access_token(token_digest(token))
    return row.user if row is not None else None


def request_user_by_access_token(token: str) -> User | None:
    """`request.user` for a bearer token: as user_by_access_token, remembered for a few
    seconds in the shared cache (accounts.token_cache). A remembered token answers without a
    query, with a user whose row is read (and re-checked) on first use."""
    if not token.startswith(ACCESS_PREFIX):
        return None
    digest = token_digest(token)
    if not token_cache.seconds():
        row = _live_access_token(digest)
        return row.user if row is not None else None
    remembered = token_cache.recall(digest)
    if isinstance(remembered, token_cache.RememberedToken) and remembered.is_live():
        return cast(User, token_cache.RememberedUser(remembered, digest=digest))
    row = _live_access_token(digest)
    if row is None:
        return None
    if remembered is None:  # never over a tombstone
        token_cache.remember(
            digest,
            token_cache.RememberedToken(
                user_id=row.user_id,
                family=row.family.hex,
                stamp_digest=token_cache.stamp_digest(row.security_stamp),
                expires_at=row.expires_at.timestamp(),
                user=user_rows.snapshot_of(row.user),
            ),
        )
    return row.user


def user_roles(user: User) -> list[Role]:
    names = {group.name for group in user.groups.all()}
    roles = [Role.SHOPPER]
    roles += [role for role in Role if role != Role.SHOPPER and role.value in names]
    if user.is_superuser and Role.ADMIN not in roles:
        roles.append(Role.ADMIN)
    return roles


def user_has_role(user: User, role: Role) -> bool:
    return role in user_roles(user)


def user_card(user: User) -> UserCard:
    return UserCard(
        id=user.pk,
        nickname=user.nickname,
        avatar_url=user.avatar.url if user.avatar else "",
        city=user.city,
    )


def user_cards(user_ids: list[int]) -> dict[int, UserCard]:
    users = User.objects.filter(pk__in=user_ids, is_active=True).only(
        "id", "nickname", "avatar", "city"
    )
    return {user.pk: user_card(user) for user in users}


def addresses_of(user: User) -> QuerySet[Address]:
    return Address.objects.filter(user=user).order_by("-is_default", "-id")


def address_of(user: User, address_id: int) -> Address | None:
    return Address.objects.filter(user=user, pk=address_id).first()


def active_user_ids() -> list[int]:
    return list(User.objects.filter(is_active=True).values_list("id", flat=True))


def user_count() -> int:
    return User.objects.filter(is_active=True).count()


def request_principal(request: HttpRequest) -> str | None:
    """Idempotency scope: the signed-in user (session or bearer token, see the middleware)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def user_is_active(user_id: int) -> bool:
    return User.objects.filter(pk=user_id, is_active=True).exists()


def address_snapshot(*, user_id: int, address_id: int) -> dict[str, str] | None:
    """A copy of one of the user's addresses for an order to keep (None if not theirs)."""
    address = Address.objects.filter(user_id=user_id, pk=address_id).first()
    if address is None:
        return None
    return {
        "recipient": address.recipient,
        "phone": address.phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "detail": address.detail,
        "postal_code": address.postal_code,
    }


def default_address_id(user_id: int) -> int | None:
    return (
        Address.objects.filter(user_id=user_id)
        .order_by("-is_default", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def user_may(user_id: int, permission: str) -> bool:
    """Whether the (active) user holds a Django permission, e.g. "orders.change_order"."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return bool(user and user.has_perm(permission))


def user_ids_by_nicknames(nicknames: list[str]) -> list[int]:
    """Ids of active users whose nickname is one of these and unambiguous (carried by exactly
    one active user), in the order asked; for @mentions."""
    if not nicknames:
        return []
    rows = list(
        User.objects.filter(nickname__in=nicknames, is_active=True).values_list("nickname", "pk")[
            :200
        ]
    )
    counts: dict[str, int] = {}
    for nickname, _pk in rows:
        counts[nickname] = counts.get(nickname, 0) + 1
    by_name = {nickname: pk for nickname, pk in rows if counts[nickname] == 1}
    return [by_name[name] for name in nicknames if name in by_name]


def user_ids_with_role(role: Role) -> list[int]:
    """Ids of the active users holding a back-office role (its group), e.g. every analyst."""
    return list(
        User.objects.filter(is_active=True, groups__name=role.value)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


def users_for_analytics() -> Iterator[Mapping[str, Any]]:
    """Every user for the analytics warehouse snapshot, without personal data: id,
    date_joined, is_active, is_staff. Streamed in id order."""
    rows = User.objects.order_by("pk").values("id", "date_joined", "is_active", "is_staff")
    yield from rows.iterator(chunk_size=5000)


# Mail hosts that ignore dots in the local part (a.b@gmail.com is ab@gmail.com).
_DOTLESS_MAIL_HOSTS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical_email(email: str) -> str:
    """The mailbox an address really reaches: lower case, without a +tag, without the dots
    Gmail ignores. Two accounts with one canonical email are one person."""
    local, _, host = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    local = local.split("+", 1)[0]
    if host in _DOTLESS_MAIL_HOSTS:
        host = _DOTLESS_MAIL_HOSTS[host]
        local = local.replace(".", "")
    return f"{local}@{host}"


def _address_key(address: Address) -> str:
    parts = (address.province, address.city, address.district, address.detail)
    return "|".join("".join(part.casefold().split()) for part in parts)


def contact_signals(user_ids: Iterable[int]) -> dict[int, ContactSignals]:
    """Digests of each user's canonical email, phones (account and addresses) and addresses,
    for fraud rules that compare people without reading their personal data (two queries)."""
    ids = sorted(set(user_ids))
    phones: dict[int, set[str]] = {user_id: set() for user_id in ids}
    places: dict[int, set[str]] = {user_id: set() for user_id in ids}
    emails: dict[int, str] = {}
    for user_id, email, phone_digest in User.objects.filter(pk__in=ids).values_list(
        "pk", "email", "phone_digest"
    ):
        emails[user_id] = lookup_digest("email:" + canonical_email(email)) if email else ""
        if phone_digest:
            phones[user_id].add(phone_digest)
    for address in Address.objects.filter(user_id__in=ids).only(
        "user_id", "phone", "province", "city", "district", "detail"
    ):
        if address.phone:
            phones[address.user_id].add(lookup_digest(address.phone))
        places[address.user_id].add(lookup_digest("address:" + _address_key(address)))
    return {
        user_id: ContactSignals(
            user_id=user_id,
            email_digest=emails[user_id],
            phone_digests=frozenset(phones[user_id]),
            address_digests=frozenset(places[user_id]),
        )
        for user_id in ids
        if user_id in emails
    }


def login_device_owner_id(request: HttpRequest) -> int | None:
    """The account this browser last signed in to with a password (its device cookie), or
    None: a fraud signal when a "new friend" signs up on the inviter's own phone."""
    return device_owner_id(request.COOKIES.get(DEVICE_COOKIE, "")[:512])


def user_joined_at(user_id: int) -> datetime | None:
    """When the user registered; None when there is no such active user."""
    return (
        User.objects.filter(pk=user_id, is_active=True)
        .values_list("date_joined", flat=True)
        .first()
    )


def user_holds_role(*, user_id: int, role: Role) -> bool:
    """Whether the active user holds a role (its group; administrators hold every role)."""
    users = User.objects.filter(pk=user_id, is_active=True)
    return users.filter(Q(is_superuser=True) | Q(groups__name=role.value)).exists()
