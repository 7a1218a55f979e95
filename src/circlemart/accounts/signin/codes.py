"""Six-digit codes texted to a phone: phone sign-in, and the step-up of a password sign-in on
an account with a phone. Stored as keyed digests; one live code per phone."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.accounts import errors
from circlemart.accounts.models import OneTimeCode
from circlemart.accounts.sms import sms_provider
from circlemart.core import clock
from circlemart.core.errors import NotAuthenticated, ValidationFailed


class CodeRequired(NotAuthenticated):
    """401 `sms_code_required`: the password was right, the texted code is still due."""

    code = errors.SMS_CODE_REQUIRED


def code_digest(code: str, phone_digest: str) -> str:
    key = f"{settings.SECRET_KEY}:otp:{phone_digest}".encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def code_send(*, phone: str, phone_digest: str) -> None:
    """Text a fresh code to `phone` (E.164); earlier unused codes of the phone stop working."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = clock.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(phone_digest=phone_digest, used_at__isnull=True).update(
            used_at=now
        )
        row = OneTimeCode.objects.create(
            phone_digest=phone_digest,
            code_digest=code_digest(code, phone_digest),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
    minutes = settings.OTP_TTL_SECONDS // 60
    text = _("Your Circlemart code is %(code)s. It expires in %(minutes)d minutes.") % {
        "code": code,
        "minutes": minutes,
    }
    try:
        sms_provider().send(phone=phone, text=text)
    except Exception:
        OneTimeCode.objects.filter(pk=row.pk).delete()  # never leave a code nobody received
        raise


def _expired() -> ValidationFailed:
    return ValidationFailed(
        _("The code has expired. Request a new one."), code=errors.CODE_EXPIRED, field="code"
    )


def code_consume(*, phone_digest: str, code: str) -> None:
    """Use the phone's live code once, or raise (wrong codes count towards OTP_MAX_ATTEMPTS)."""
    now = clock.now()
    row = (
        OneTimeCode.objects.filter(phone_digest=phone_digest, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if row is None or row.expires_at <= now or row.attempts >= settings.OTP_MAX_ATTEMPTS:
        raise _expired()
    if not hmac.compare_digest(row.code_digest, code_digest(code, phone_digest)):
        OneTimeCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        raise ValidationFailed(_("The code is incorrect."), code=errors.CODE_INVALID, field="code")
    # Conditional update: two simultaneous correct submissions use the code once.
    used = OneTimeCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    if not used:
        raise _expired()
