"""Accounts API: /api/v1/auth/* (sign-up, sign-in, tokens) and /api/v1/me (profile)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from circlemart.accounts import selectors, services
from circlemart.accounts.contracts import TokenPair
from circlemart.accounts.models import Address, User
from circlemart.accounts.schemas import (
    AcceptedOut,
    AddressIn,
    AddressOut,
    LoginIn,
    OtpRequestIn,
    OtpSentOut,
    OtpVerifyIn,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    ProfileIn,
    ProfileOut,
    RefreshIn,
    RegisterIn,
    RevokeIn,
    SessionOut,
    TokenPairOut,
)
from circlemart.accounts.signin.device import device_from_request, device_remember
from circlemart.core import ratelimit
from circlemart.core.api_auth import SignedIn
from circlemart.core.errors import NotFound
from circlemart.core.ratelimit import client_ip

# The API's default auth is core.api_auth.SignedIn (config/api.py); sign-up and sign-in
# endpoints opt out with auth=None.
SIGNED_IN = SignedIn()
auth_router = Router(auth=None)
me_router = Router()


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _user_agent(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")


def profile_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "phone": user.phone,
        "nickname": user.nickname,
        "avatar_url": user.avatar.url if user.avatar else "",
        "bio": user.bio,
        "city": user.city,
        "gender": user.gender,
        "age_range": user.age_range,
        "interests": list(user.interests or []),
        "roles": [role.value for role in selectors.user_roles(user)],
        "date_joined": user.date_joined,
    }


def session_out(user: User, tokens: TokenPair, *, created: bool = False) -> dict[str, Any]:
    return {"user": profile_out(user), "tokens": tokens.__dict__, "created": created}


@auth_router.post("/register", response={201: SessionOut}, summary="Register with email")
def register(request: HttpRequest, payload: RegisterIn) -> Status[Any]:
    ratelimit.hit(f"register:ip:{client_ip(request)}", limit=10, window=3600, field="email")
    user = services.user_register_with_email(
        email=payload.email, password=payload.password, nickname=payload.nickname
    )
    tokens = services.token_pair_issue(user=user, user_agent=_user_agent(request))
    return Status(201, session_out(user, tokens, created=True))


@auth_router.post("/login", response=SessionOut, summary="Sign in with email and password")
def login(request: HttpRequest, response: HttpResponse, payload: LoginIn) -> dict[str, Any]:
    """Unknown emails and wrong passwords get the same 401 `invalid_credentials`. Past the
    attempt limits the answer is 401 `challenge_required` with a proof-of-work challenge in
    the body (docs/api.md); after a solved one, an account with a phone may answer 401
    `sms_code_required` (a code was texted). A successful sign-in sets the device cookie."""
    user = services.user_authenticate_password(
        email=payload.email,
        password=payload.password,
        ip=client_ip(request),
        device=device_from_request(request),
        answer=services.StepUpAnswer(
            challenge=payload.challenge or "",
            nonce=payload.nonce or "",
            sms_code=payload.sms_code or "",
        ),
    )
    device_remember(response, user_id=user.pk)
    return session_out(user, services.token_pair_issue(user=user, user_agent=_user_agent(request)))


@auth_router.post("/otp/request", response={202: OtpSentOut}, summary="Text a sign-in code")
def otp_request(request: HttpRequest, payload: OtpRequestIn) -> Status[Any]:
    sent = services.otp_request(phone=payload.phone, ip=client_ip(request))
    return Status(202, {"expires_in": sent.expires_in, "resend_after": sent.resend_after})


@auth_router.post("/otp/verify", response=SessionOut, summary="Sign in or up with phone + code")
def otp_verify(request: HttpRequest, payload: OtpVerifyIn) -> dict[str, Any]:
    user, created = services.user_login_with_otp(
        phone=payload.phone, code=payload.code, ip=client_ip(request)
    )
    tokens = services.token_pair_issue(user=user, user_agent=_user_agent(request))
    return session_out(user, tokens, created=created)


@auth_router.post("/token/refresh", response=TokenPairOut, summary="Rotate a refresh token")
def token_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, Any]:
    tokens = services.token_refresh(
        refresh_token=payload.refresh_token, user_agent=_user_agent(request)
    )
    return tokens.__dict__


@auth_router.post("/token/revoke", response={204: None}, auth=SIGNED_IN, summary="Revoke a token")
def token_revoke(request: HttpRequest, payload: RevokeIn) -> Status[Any]:
    services.token_revoke(user=_user(request), token=payload.token)
    return Status(204, None)


@auth_router.post("/logout", response={204: None}, auth=SIGNED_IN, summary="End this login")
def logout(request: HttpRequest) -> Status[Any]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        services.token_revoke(user=_user(request), token=header[7:].strip())
    return Status(204, None)


@auth_router.post(
    "/logout-all", response={204: None}, auth=SIGNED_IN, summary="End every session and token"
)
def logout_all(request: HttpRequest) -> Status[Any]:
    services.user_logout_everywhere(user=_user(request))
    return Status(204, None)


@auth_router.post("/password-reset", response={202: AcceptedOut}, summary="Email a reset link")
def password_reset(request: HttpRequest, payload: PasswordResetIn) -> Status[Any]:
    services.password_reset_request(email=payload.email, ip=client_ip(request))
    message = _("If an account uses this email, a reset link is on its way.")
    return Status(202, {"detail": message})


@auth_router.post("/password-reset/confirm", response={204: None}, summary="Set a new password")
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn) -> Status[Any]:
    services.password_reset_confirm(
        uidb64=payload.uid, token=payload.token, new_password=payload.new_password
    )
    return Status(204, None)


@me_router.get("", response=ProfileOut, summary="The signed-in user")
def me(request: HttpRequest) -> ProfileOut:
    # The cheapest signed-in read, asked on every app start: built from the row's own typed
    # values, the answer skips ninja's re-validation (it only serialises a ProfileOut) — the
    # same JSON either way (tests/accounts/test_me_fast.py).
    return ProfileOut.model_construct(**profile_out(_user(request)))


@me_router.patch("", response=ProfileOut, summary="Edit the profile")
def me_update(request: HttpRequest, payload: ProfileIn) -> dict[str, Any]:
    user = services.profile_update(user=_user(request), **payload.dict(exclude_unset=True))
    return profile_out(user)


@me_router.post("/avatar", response=ProfileOut, summary="Upload an avatar (≤ 2 MB image)")
def me_avatar(request: HttpRequest, avatar: File[UploadedFile]) -> dict[str, Any]:
    return profile_out(services.avatar_set(user=_user(request), upload=avatar))


@me_router.post("/password", response={204: None}, summary="Change the password")
def me_password(request: HttpRequest, payload: PasswordChangeIn) -> Status[Any]:
    services.password_change(
        user=_user(request), old_password=payload.old_password, new_password=payload.new_password
    )
    return Status(204, None)


def address_out(address: Address) -> dict[str, Any]:
    return {
        field: getattr(address, field)
        for field in (
            "id",
            "recipient",
            "phone",
            "province",
            "city",
            "district",
            "detail",
            "postal_code",
            "label",
            "is_default",
        )
    }


def _address_input(payload: AddressIn) -> services.AddressInput:
    return services.AddressInput(**payload.dict())


@me_router.get("/addresses", response=list[AddressOut], summary="My shipping addresses")
def address_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [address_out(address) for address in selectors.addresses_of(_user(request))]


@me_router.post("/addresses", response={201: AddressOut}, summary="Add an address")
def address_create(request: HttpRequest, payload: AddressIn) -> Status[Any]:
    address = services.address_create(user=_user(request), data=_address_input(payload))
    return Status(201, address_out(address))


@me_router.get("/addresses/{address_id}", response=AddressOut, summary="One of my addresses")
def address_detail(request: HttpRequest, address_id: int) -> dict[str, Any]:
    address = selectors.address_of(_user(request), address_id)
    if address is None:
        raise NotFound(_("Address not found."), field="address_id")
    return address_out(address)


@me_router.put("/addresses/{address_id}", response=AddressOut, summary="Replace an address")
def address_update(request: HttpRequest, address_id: int, payload: AddressIn) -> dict[str, Any]:
    address = services.address_update(
        user=_user(request), address_id=address_id, data=_address_input(payload)
    )
    return address_out(address)


@me_router.post(
    "/addresses/{address_id}/default", response=AddressOut, summary="Make an address the default"
)
def address_default(request: HttpRequest, address_id: int) -> dict[str, Any]:
    address = services.address_set_default(user=_user(request), address_id=address_id)
    return address_out(address)


@me_router.delete("/addresses/{address_id}", response={204: None}, summary="Delete an address")
def address_delete(request: HttpRequest, address_id: int) -> Status[Any]:
    services.address_delete(user=_user(request), address_id=address_id)
    return Status(204, None)
