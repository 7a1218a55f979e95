"""Domain events of the accounts context."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.core.events import DomainEvent, register_event


@register_event
@dataclass(frozen=True)
class UserRegistered(DomainEvent):
    event_type = "accounts.UserRegistered"
    aggregate_type = "user"

    user_id: int
    method: str  # "email" or "phone"
    language: str = "zh-hans"

    def aggregate_id(self) -> str:
        return str(self.user_id)


@register_event
@dataclass(frozen=True)
class UserLoggedIn(DomainEvent):
    """A successful sign-in of an existing account (a first phone sign-in is a registration)."""

    event_type = "accounts.UserLoggedIn"
    aggregate_type = "user"

    user_id: int
    method: str  # "password" or "phone"

    def aggregate_id(self) -> str:
        return str(self.user_id)


@register_event
@dataclass(frozen=True)
class UserLoggedOutEverywhere(DomainEvent):
    event_type = "accounts.UserLoggedOutEverywhere"
    aggregate_type = "user"

    user_id: int

    def aggregate_id(self) -> str:
        return str(self.user_id)


@register_event
@dataclass(frozen=True)
class ProfileUpdated(DomainEvent):
    """A shopper changed their profile; `is_complete` when avatar, bio and city are all set
    (growth's newcomer task "complete your profile" counts it)."""

    event_type = "accounts.ProfileUpdated"
    aggregate_type = "user"

    user_id: int
    is_complete: bool = False

    def aggregate_id(self) -> str:
        return str(self.user_id)
