"""Request and response shapes of the accounts API. Field rules live in the services, so
their (translated) messages are the ones callers see."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from circlemart.accounts.contracts import TokenPair
from circlemart.accounts.signin.challenge import MAX_NONCE_LENGTH, MAX_TOKEN_LENGTH
from circlemart.core.contract_schemas import derived_from
from circlemart.core.schemas import InputSchema


class RegisterIn(InputSchema):
    email: str
    password: str
    nickname: str | None = None


class LoginIn(InputSchema):
    """Email and password; after a 401 `challenge_required`, also the solved challenge
    (`challenge` = its token, `nonce`) or, after `sms_code_required`, the texted code."""

    email: str
    password: str
    challenge: str | None = Field(default=None, max_length=MAX_TOKEN_LENGTH)
    nonce: str | None = Field(default=None, max_length=MAX_NONCE_LENGTH)
    sms_code: str | None = Field(default=None, max_length=6)


class OtpRequestIn(InputSchema):
    phone: str


class OtpSentOut(Schema):
    expires_in: int
    resend_after: int


class OtpVerifyIn(InputSchema):
    phone: str
    code: str


class RefreshIn(InputSchema):
    refresh_token: str


class RevokeIn(InputSchema):
    token: str


@derived_from(TokenPair)  # see core.contract_schemas
class TokenPairOut(Schema): ...


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


class ProfileIn(InputSchema):
    nickname: str | None = None
    bio: str | None = None
    city: str | None = None
    gender: str | None = None
    age_range: str | None = None
    interests: list[str] | None = None


class PasswordChangeIn(InputSchema):
    old_password: str
    new_password: str


class PasswordResetIn(InputSchema):
    email: str


class PasswordResetConfirmIn(InputSchema):
    uid: str
    token: str
    new_password: str


# Requests are written by hand (they are the edge's rules: bounds, what may be omitted); the
# services take services.AddressInput.
class AddressIn(InputSchema):
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
