"""Request and response shapes of the accounts API. Field rules live in the services, so
their (translated) messages are the ones callers see."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class RegisterIn(Schema):
    email: str
    password: str
    nickname: str | None = None


class LoginIn(Schema):
    email: str
    password: str


class OtpRequestIn(Schema):
    phone: str


class OtpSentOut(Schema):
    expires_in: int
    resend_after: int


class OtpVerifyIn(Schema):
    phone: str
    code: str


class RefreshIn(Schema):
    refresh_token: str


class RevokeIn(Schema):
    token: str


class TokenPairOut(Schema):
    access_token: str
    refresh_token: str
    token_type: str
    access_expires_in: int
    refresh_expires_in: int


class ProfileOut(Schema):
    id: int
    email: str | None
    phone: str
    nickname: str
    avatar_url: str
    bio: str
    city: str
    gender: str
    age_range: str
    interests: list[str]
    roles: list[str]
    date_joined: datetime


class SessionOut(Schema):
    user: ProfileOut
    tokens: TokenPairOut
    created: bool = False


class ProfileIn(Schema):
    nickname: str | None = None
    bio: str | None = None
    city: str | None = None
    gender: str | None = None
    age_range: str | None = None
    interests: list[str] | None = None


class PasswordChangeIn(Schema):
    old_password: str
    new_password: str


class PasswordResetIn(Schema):
    email: str


class PasswordResetConfirmIn(Schema):
    uid: str
    token: str
    new_password: str


class AddressIn(Schema):
    recipient: str
    phone: str
    province: str
    city: str
    detail: str
    district: str = ""
    postal_code: str = ""
    label: str = ""
    is_default: bool = False


class AddressOut(Schema):
    id: int
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postal_code: str
    label: str
    is_default: bool


class AcceptedOut(Schema):
    detail: str
