"""Password sign-in, answered alike for registered and unknown emails, throttled per
(account, client) with a step-up instead of a lock-out (issue 11: a stranger must not be able
to lock the owner out, nor learn which emails have accounts)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils.translation import gettext as _

from circlemart.accounts import errors
from circlemart.accounts.events import UserLoggedIn
from circlemart.accounts.models import User
from circlemart.accounts.signin import codes, throttle
from circlemart.accounts.signin.challenge import (
    ChallengeRequired,
    challenge_issue,
    challenge_solved,
)
from circlemart.accounts.signin.codes import CodeRequired
from circlemart.accounts.signin.device import device_id_for
from circlemart.core import clock, ratelimit
from circlemart.core.errors import DomainError, NotAuthenticated, RateLimited, ValidationFailed
from circlemart.core.events import publish


@dataclass(frozen=True)
class StepUpAnswer:
    """What a client sends back once a step-up was asked for (any part may be empty)."""

    challenge: str = ""
    nonce: str = ""
    sms_code: str = ""


def _invalid_credentials() -> DomainError:
    return NotAuthenticated(
        _("Email or password is incorrect."), code=errors.INVALID_CREDENTIALS, field="password"
    )


@lru_cache(maxsize=4)
def _dummy_password_hash(hasher: str) -> str:
    return make_password(secrets.token_urlsafe(16))


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password; with no user (or one without a password) hash against a dummy, so
    unknown and registered emails cost the same time."""
    if user is None or not user.has_usable_password():
        check_password(password, _dummy_password_hash(settings.PASSWORD_HASHERS[0]))
        return False
    return user.check_password(password) and user.is_active


def _step_up(*, attempt: throttle.Attempt, user: User | None, answer: StepUpAnswer) -> str:
    """Accept a texted code or a solved challenge ("code" / "challenge"), or raise
    ChallengeRequired with a fresh challenge. Nothing here depends on whether the email is
    registered: an unknown email, or one without a phone, looks up a code that cannot exist."""
    entered = answer.sms_code.replace(" ", "").strip()
    if entered.isdigit() and len(entered) == 6:
        phone_digest = user.phone_digest if user is not None and user.phone_digest else ""
        try:
            codes.code_consume(phone_digest=phone_digest or attempt.account, code=entered)
        except ValidationFailed:
            pass
        else:
            return "code"
    if answer.challenge or answer.nonce:
        if challenge_solved(account=attempt.account, token=answer.challenge, nonce=answer.nonce):
            return "challenge"
        message = _(
            "The security check has expired, was already used or is wrong. Complete the new "
            "one, then sign in again."
        )
    else:
        message = _(
            "Too many sign-in attempts from this device. Complete the security check, then "
            "sign in again."
        )
    raise ChallengeRequired(message, challenge=challenge_issue(account=attempt.account))


def _step_up_code_required(user: User) -> CodeRequired:
    """Text the step-up code (at most one per OTP_RESEND_SECONDS, shared with phone sign-in)."""
    digest = user.phone_digest or ""
    try:
        ratelimit.hit(f"otp:phone:{digest}", limit=1, window=settings.OTP_RESEND_SECONDS)
        ratelimit.hit(f"otp:phone-day:{digest}", limit=10, window=86400)
    except RateLimited:
        pass  # a code went out moments ago (or today's are spent): the live one still works
    else:
        codes.code_send(phone=user.phone, phone_digest=digest)
    return CodeRequired(
        _("Enter the code we texted to %(phone)s to finish signing in.")
        % {"phone": user.masked_phone},
        field="sms_code",
        extra={"resend_after": settings.OTP_RESEND_SECONDS},
    )


def user_authenticate_password(
    *,
    email: str | None,
    password: str | None,
    ip: str,
    device: str = "",
    answer: StepUpAnswer | None = None,
) -> User:
    """Email + password, answered alike for registered and unknown emails.

    Attempts are counted per (account, client), per account and per client
    (signin/throttle.py; the client is the device cookie of a browser that signed in to this
    account before, else the IP). Past a limit an attempt needs a step-up instead of finding
    the account locked: a solved proof-of-work challenge — after which a right password on an
    account with a phone still needs the code texted to it — or that texted code. Whether the
    email is registered shows only once the password is known to be right.
    """
    address = (email or "").strip().lower()
    if not address or not password:
        field = "email" if not address else "password"
        raise ValidationFailed(_("This field is required."), code="required", field=field)
    user = User.objects.filter(email=address).first()
    device_id = device_id_for(device, user_id=user.pk) if user is not None else None
    attempt = throttle.Attempt.of(email=address, ip=ip, device_id=device_id)
    ratelimit.hit(
        f"login:{attempt.client}",
        limit=settings.LOGIN_CLIENT_ATTEMPTS,
        window=settings.LOGIN_CLIENT_ATTEMPTS_WINDOW_SECONDS,
        field="email",
    )
    passed_with = ""
    if throttle.attempt_needs_step_up(attempt):
        passed_with = _step_up(attempt=attempt, user=user, answer=answer or StepUpAnswer())
    if not _password_matches(user, password):
        throttle.attempt_failed(attempt)
        raise _invalid_credentials()
    assert user is not None
    if passed_with == "challenge" and user.phone_digest and user.phone:
        raise _step_up_code_required(user)
    throttle.attempt_succeeded(attempt)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=clock.now())
        publish(UserLoggedIn(user_id=user.pk, method="password"))
    return user
