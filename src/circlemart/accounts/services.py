"""Writes of the accounts context: registration, login, tokens, profile, addresses, roles."""

from __future__ import annotations

import io
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from circlemart.accounts import errors, token_cache
from circlemart.accounts.contracts import BACK_OFFICE_ROLES, Role, TokenPair
from circlemart.accounts.events import (
    ProfileUpdated,
    UserLoggedIn,
    UserLoggedOutEverywhere,
    UserRegistered,
)
from circlemart.accounts.models import Address, ApiToken, User, new_security_stamp
from circlemart.accounts.signin import codes

# Password sign-in has its own room (signin/services.py); it belongs to this facade because
# the web layer and other apps call accounts.services.
from circlemart.accounts.signin.services import StepUpAnswer as StepUpAnswer
from circlemart.accounts.signin.services import (
    user_authenticate_password as user_authenticate_password,
)
from circlemart.accounts.tokens import ACCESS_PREFIX, REFRESH_PREFIX, token_digest
from circlemart.core import clock, ratelimit
from circlemart.core.crypto import lookup_digest
from circlemart.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from circlemart.core.events import publish
from circlemart.core.text import clean_plain_text

logger = logging.getLogger(__name__)

MAX_ADDRESSES = 20
MAX_INTERESTS = 10
AVATAR_SIZE = 512
AVATAR_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
AVATAR_MAX_PIXELS = 4096 * 4096


# --- Input normalisation ---------------------------------------------------------------------


def normalize_email(raw: str | None) -> str:
    email = (raw or "").strip().lower()
    if not email:
        raise ValidationFailed(_("This field is required."), code="required", field="email")
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            _("Enter a valid email address."), code=errors.INVALID_EMAIL, field="email"
        ) from exc
    return email


def normalize_phone(raw: str | None, *, field: str = "phone") -> str:
    """Parse a phone number (default region CN) into E.164, or refuse it."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed(_("This field is required."), code="required", field=field)
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(
            _("Enter a valid mobile phone number."), code=errors.INVALID_PHONE, field=field
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            _("Enter a valid mobile phone number."), code=errors.INVALID_PHONE, field=field
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def check_password_strength(password: str | None, *, user: User | None = None) -> str:
    if not password:
        raise ValidationFailed(_("This field is required."), code="required", field="password")
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            " ".join(str(message) for message in exc.messages),
            code=errors.WEAK_PASSWORD,
            field="password",
        ) from exc
    return password


def clean_nickname(raw: str | None) -> str:
    return clean_plain_text(raw, field="nickname", min_length=1, max_length=30, name_like=True)


# Lower-case letters and digits without look-alikes (0/o, 1/l/i): easy to read out loud.
NICKNAME_SUFFIX_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
NICKNAME_SUFFIX_LENGTH = 8


def default_nickname() -> str:
    """A neutral public name for a new account: the localised word for "user" and 8 random
    characters (31⁸ ≈ 8.5·10¹¹ names, so two alike are rare). Never derived from the email
    or the phone, which are personal data; the nickname is shown to everyone."""
    suffix = "".join(
        secrets.choice(NICKNAME_SUFFIX_ALPHABET) for _ in range(NICKNAME_SUFFIX_LENGTH)
    )
    return _("User %(suffix)s") % {"suffix": suffix}


# --- Registration ----------------------------------------------------------------------------


def user_register_with_email(
    *, email: str | None, password: str | None, nickname: str | None = None
) -> User:
    """Create an account. A taken email is a 409, whether found first or lost in a race."""
    address = normalize_email(email)
    name = clean_nickname(nickname) if nickname else default_nickname()
    candidate = User(email=address, nickname=name)
    check_password_strength(password, user=candidate)
    if User.objects.filter(email=address).exists():
        raise Conflict(
            _("An account with this email already exists."),
            code=errors.EMAIL_TAKEN,
            field="email",
        )
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
            publish(UserRegistered(user_id=candidate.pk, method="email", language=_language()))
    except IntegrityError as exc:
        raise Conflict(
            _("An account with this email already exists."),
            code=errors.EMAIL_TAKEN,
            field="email",
        ) from exc
    return candidate


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


# --- Phone + one-time code -------------------------------------------------------------------


@dataclass(frozen=True)
class CodeSent:
    expires_in: int
    resend_after: int


def otp_request(*, phone: str | None, ip: str) -> CodeSent:
    """Send a 6-digit sign-in code by SMS. One per minute per phone, bounded per day and IP.
    Registered or not, a number gets the same answer (its first code signs it up)."""
    number = normalize_phone(phone)
    digest = lookup_digest(number)
    ratelimit.hit(f"otp:ip:{ip}", limit=20, window=3600, field="phone")
    ratelimit.hit(f"otp:phone:{digest}", limit=1, window=settings.OTP_RESEND_SECONDS, field="phone")
    ratelimit.hit(f"otp:phone-day:{digest}", limit=10, window=86400, field="phone")
    codes.code_send(phone=number, phone_digest=digest)
    return CodeSent(expires_in=settings.OTP_TTL_SECONDS, resend_after=settings.OTP_RESEND_SECONDS)


def user_login_with_otp(*, phone: str | None, code: str | None, ip: str) -> tuple[User, bool]:
    """Sign in (or sign up, first time) with a phone and its code. Returns (user, created)."""
    number = normalize_phone(phone)
    digest = lookup_digest(number)
    entered = (code or "").strip()
    if not entered.isdigit() or len(entered) != 6:
        raise ValidationFailed(_("Enter the 6-digit code."), code=errors.CODE_INVALID, field="code")
    ratelimit.hit(f"otp-verify:ip:{ip}", limit=30, window=300, field="code")
    codes.code_consume(phone_digest=digest, code=entered)
    user = User.objects.filter(phone_digest=digest).first()
    if user is not None:
        if not user.is_active:
            raise NotAuthenticated(_("This account is disabled."), code="account_disabled")
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(last_login=clock.now())
            publish(UserLoggedIn(user_id=user.pk, method="phone"))
        return user, False
    try:
        with transaction.atomic():
            user = User(phone=number, phone_digest=digest, nickname=default_nickname())
            user.set_unusable_password()
            user.save()
            publish(UserRegistered(user_id=user.pk, method="phone", language=_language()))
    except IntegrityError:
        # Lost a race with another sign-up of the same phone: that account is ours too.
        return User.objects.get(phone_digest=digest), False
    return user, True


# --- API tokens ------------------------------------------------------------------------------


def _issue_pair(*, user: User, family: uuid.UUID, user_agent: str) -> TokenPair:
    now = clock.now()
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    access_ttl = timedelta(minutes=settings.ACCESS_TOKEN_MINUTES)
    refresh_ttl = timedelta(days=settings.REFRESH_TOKEN_DAYS)
    common = {
        "user": user,
        "family": family,
        "security_stamp": user.security_stamp,
        "user_agent": user_agent[:200],
    }
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                kind=ApiToken.Kind.ACCESS,
                digest=token_digest(access),
                expires_at=now + access_ttl,
                **common,
            ),
            ApiToken(
                kind=ApiToken.Kind.REFRESH,
                digest=token_digest(refresh),
                expires_at=now + refresh_ttl,
                **common,
            ),
        ]
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        access_expires_in=int(access_ttl.total_seconds()),
        refresh_expires_in=int(refresh_ttl.total_seconds()),
    )


def token_pair_issue(*, user: User, user_agent: str = "") -> TokenPair:
    return _issue_pair(user=user, family=uuid.uuid4(), user_agent=user_agent)


def _token_invalid() -> NotAuthenticated:
    return NotAuthenticated(
        _("The token is invalid or has expired."), code=errors.TOKEN_INVALID, field="refresh_token"
    )


def token_refresh(*, refresh_token: str | None, user_agent: str = "") -> TokenPair:
    """Rotate a refresh token. Presenting an already rotated one revokes its whole family."""
    if not refresh_token or not refresh_token.startswith(REFRESH_PREFIX):
        raise _token_invalid()
    now = clock.now()
    reused_family: uuid.UUID | None = None
    with transaction.atomic():
        row = (
            ApiToken.objects.select_for_update()
            .select_related("user")
            .filter(digest=token_digest(refresh_token), kind=ApiToken.Kind.REFRESH)
            .first()
        )
        if row is None or row.revoked_at is not None:
            raise _token_invalid()
        if row.rotated_at is not None:
            reused_family = row.family
            _revoke_tokens(Q(family=row.family), now=now)
        elif (
            row.expires_at <= now
            or not row.user.is_active
            or row.security_stamp != row.user.security_stamp
        ):
            raise _token_invalid()
        else:
            ApiToken.objects.filter(pk=row.pk).update(rotated_at=now)
            return _issue_pair(user=row.user, family=row.family, user_agent=user_agent)
    logger.warning("refresh token reused; family revoked", extra={"family": str(reused_family)})
    raise NotAuthenticated(
        _("This refresh token was already used. Sign in again."),
        code=errors.TOKEN_REUSED,
        field="refresh_token",
    )


def token_revoke(*, user: User, token: str) -> None:
    """Revoke one of the caller's tokens; revoking either half of a login ends that login."""
    row = ApiToken.objects.filter(digest=token_digest(token or ""), user=user).first()
    if row is None:
        raise NotFound(_("Token not found."), code=errors.TOKEN_INVALID, field="token")
    _revoke_tokens(Q(family=row.family), now=clock.now())


def _revoke_tokens(tokens: Q, *, now: datetime) -> None:
    """Revoke these tokens, and tombstone their remembered lookups before the commit so that
    no server trusts them a moment longer (accounts.token_cache)."""
    with transaction.atomic():
        ApiToken.objects.filter(tokens, revoked_at__isnull=True).update(revoked_at=now)
        _forget_access_tokens(tokens, now=now)


def _forget_access_tokens(tokens: Q, *, now: datetime) -> None:
    token_cache.forget(
        ApiToken.objects.filter(tokens, kind=ApiToken.Kind.ACCESS, expires_at__gt=now).values_list(
            "digest", flat=True
        )
    )


def user_access_changed(*, user_id: int) -> None:
    """The back office changed what the user may do (active, staff, stamp): every server
    forgets the user's remembered token lookups, so the next request reads the user again."""
    with transaction.atomic():
        _forget_access_tokens(Q(user_id=user_id), now=clock.now())


def user_logout_everywhere(*, user: User) -> None:
    """End every session and token of the user (sessions check the rotated stamp)."""
    with transaction.atomic():
        stamp = new_security_stamp()
        User.objects.filter(pk=user.pk).update(security_stamp=stamp)
        _revoke_tokens(Q(user=user), now=clock.now())
        publish(UserLoggedOutEverywhere(user_id=user.pk))
    user.security_stamp = stamp


# --- Passwords -------------------------------------------------------------------------------


def password_change(*, user: User, old_password: str | None, new_password: str | None) -> None:
    if not user.check_password(old_password or ""):
        raise ValidationFailed(
            _("The current password is incorrect."),
            code=errors.INVALID_CREDENTIALS,
            field="old_password",
        )
    _set_password_and_sign_out_others(user=user, password=new_password, field="new_password")


def _set_password_and_sign_out_others(*, user: User, password: str | None, field: str) -> None:
    try:
        check_password_strength(password, user=user)
    except ValidationFailed as exc:
        exc.field = field
        raise
    with transaction.atomic():
        user.set_password(password)
        user.security_stamp = new_security_stamp()
        user.save(update_fields=["password", "security_stamp"])
        _revoke_tokens(Q(user=user), now=clock.now())


def password_reset_request(*, email: str | None, ip: str) -> None:
    """Email a reset link if the account exists. The answer, and its timing, are the same
    either way: the lookup and the email happen in a task (password_reset_email_send)."""
    from circlemart.accounts import tasks  # tasks import services: resolve at call time

    address = normalize_email(email)
    ratelimit.hit(f"reset:ip:{ip}", limit=10, window=3600, field="email")
    ratelimit.hit(f"reset:email:{address}", limit=3, window=3600, field="email")
    tasks.send_password_reset_email.delay(email=address, language=_language())


def password_reset_email_send(*, email: str, language: str) -> bool:
    """Send the reset link to the active account with this email; False when there is none."""
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {
        "user": user,
        "reset_url": f"{settings.SITE_URL}/accounts/password/reset/{uid}/{token}/",
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    with translation.override(language):
        send_mail(
            subject=_("Reset your Circlemart password"),
            message=render_to_string("accounts/email/password_reset.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    return True


def password_reset_user(*, uidb64: str, token: str) -> User:
    """The user a reset link belongs to, if the link is still valid."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError) as exc:
        raise _reset_link_invalid() from exc
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise _reset_link_invalid()
    return user


def _reset_link_invalid() -> ValidationFailed:
    return ValidationFailed(
        _("This reset link is invalid or has already been used."),
        code=errors.RESET_LINK_INVALID,
        field="token",
    )


def password_reset_confirm(*, uidb64: str, token: str, new_password: str | None) -> User:
    user = password_reset_user(uidb64=uidb64, token=token)
    _set_password_and_sign_out_others(user=user, password=new_password, field="new_password")
    return user


# --- Profile ---------------------------------------------------------------------------------


def _clean_interests(raw: list[str] | None) -> list[str]:
    tags: list[str] = []
    for item in raw or []:
        tag = clean_plain_text(item, field="interests", max_length=20, name_like=True)
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_INTERESTS:
        raise ValidationFailed(
            _("Choose at most %(count)d interests.") % {"count": MAX_INTERESTS},
            code="too_many",
            field="interests",
        )
    return tags


def profile_update(
    *,
    user: User,
    nickname: str | None = None,
    bio: str | None = None,
    city: str | None = None,
    gender: str | None = None,
    age_range: str | None = None,
    interests: list[str] | None = None,
) -> User:
    """Change only the fields given; validate all of them before writing any."""
    changes: dict[str, object] = {}
    if nickname is not None:
        changes["nickname"] = clean_nickname(nickname)
    if bio is not None:
        changes["bio"] = clean_plain_text(bio, field="bio", max_length=200, multiline=True)
    if city is not None:
        changes["city"] = clean_plain_text(city, field="city", max_length=60, name_like=True)
    if gender is not None:
        if gender not in User.Gender.values:
            raise ValidationFailed(_("Choose a valid option."), code="invalid", field="gender")
        changes["gender"] = gender
    if age_range is not None:
        if age_range not in User.AgeRange.values:
            raise ValidationFailed(_("Choose a valid option."), code="invalid", field="age_range")
        changes["age_range"] = age_range
    if interests is not None:
        changes["interests"] = _clean_interests(interests)
    for name, value in changes.items():
        setattr(user, name, value)
    if changes:
        with transaction.atomic():
            user.save(update_fields=list(changes))
            _profile_updated(user)
    return user


def _profile_updated(user: User) -> None:
    complete = bool(user.avatar and user.bio and user.city)
    publish(ProfileUpdated(user_id=user.pk, is_complete=complete))


def _avatar_error(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field="avatar")


def avatar_set(*, user: User, upload: UploadedFile[bytes] | None) -> User:
    """Check size and real image type, strip metadata, square-crop to 512 px WebP."""
    if upload is None:
        raise _avatar_error(_("Choose an image to upload."), "required")
    if upload.size is None or upload.size > settings.AVATAR_MAX_BYTES:
        raise _avatar_error(
            _("The image is too large (maximum %(size)s).")
            % {"size": filesizeformat(settings.AVATAR_MAX_BYTES)},
            errors.AVATAR_TOO_LARGE,
        )
    try:
        with Image.open(upload) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in AVATAR_FORMATS or width * height > AVATAR_MAX_PIXELS:
                raise _avatar_error(
                    _("Upload a JPEG, PNG, WebP or GIF image up to 4096×4096 pixels."),
                    errors.AVATAR_INVALID,
                )
            probe.load()
            picture = ImageOps.exif_transpose(probe).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise _avatar_error(
            _("Upload a JPEG, PNG, WebP or GIF image up to 4096×4096 pixels."),
            errors.AVATAR_INVALID,
        ) from exc
    picture = ImageOps.fit(picture, (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="WEBP", quality=85)
    previous = user.avatar.name if user.avatar else ""
    user.avatar.save("avatar.webp", ContentFile(buffer.getvalue()), save=False)
    with transaction.atomic():
        user.save(update_fields=["avatar"])
        _profile_updated(user)
    if previous:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return user


# --- Addresses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressInput:
    recipient: str
    phone: str
    province: str
    city: str
    detail: str
    district: str = ""
    postal_code: str = ""
    label: str = ""
    is_default: bool = False


def _clean_address(data: AddressInput) -> dict[str, object]:
    postal_code = (data.postal_code or "").strip()
    if postal_code and (not postal_code.isalnum() or len(postal_code) > 12):
        raise ValidationFailed(_("Enter a valid postal code."), code="invalid", field="postal_code")
    return {
        "recipient": clean_plain_text(
            data.recipient, field="recipient", min_length=1, max_length=40, name_like=True
        ),
        "phone": normalize_phone(data.phone),
        "province": clean_plain_text(data.province, field="province", min_length=1, max_length=40),
        "city": clean_plain_text(data.city, field="city", min_length=1, max_length=40),
        "district": clean_plain_text(data.district, field="district", max_length=40),
        "detail": clean_plain_text(data.detail, field="detail", min_length=2, max_length=200),
        "postal_code": postal_code,
        "label": clean_plain_text(data.label, field="label", max_length=20),
    }


def _lock_user_row(user: User) -> None:
    """Serialises address changes of one user (default flag, count limit)."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()


def address_create(*, user: User, data: AddressInput) -> Address:
    fields = _clean_address(data)
    with transaction.atomic():
        _lock_user_row(user)
        existing = Address.objects.filter(user=user).count()
        if existing >= MAX_ADDRESSES:
            raise ValidationFailed(
                _("You can save at most %(count)d addresses.") % {"count": MAX_ADDRESSES},
                code=errors.ADDRESS_LIMIT,
                field="address",
            )
        make_default = data.is_default or existing == 0
        if make_default:
            Address.objects.filter(user=user, is_default=True).update(is_default=False)
        return Address.objects.create(user=user, is_default=make_default, **fields)


def _own_address(*, user: User, address_id: int) -> Address:
    address = Address.objects.filter(pk=address_id, user=user).first()
    if address is None:
        raise NotFound(_("Address not found."), field="address_id")
    return address


def address_update(*, user: User, address_id: int, data: AddressInput) -> Address:
    fields = _clean_address(data)
    with transaction.atomic():
        _lock_user_row(user)
        address = _own_address(user=user, address_id=address_id)
        if data.is_default and not address.is_default:
            Address.objects.filter(user=user, is_default=True).update(is_default=False)
            fields["is_default"] = True
        for name, value in fields.items():
            setattr(address, name, value)
        address.save()
        return address


def address_set_default(*, user: User, address_id: int) -> Address:
    with transaction.atomic():
        _lock_user_row(user)
        address = _own_address(user=user, address_id=address_id)
        Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(
            is_default=False
        )
        Address.objects.filter(pk=address.pk).update(is_default=True)
        address.is_default = True
        return address


def address_delete(*, user: User, address_id: int) -> None:
    """Deleting the default promotes the newest remaining address."""
    with transaction.atomic():
        _lock_user_row(user)
        address = _own_address(user=user, address_id=address_id)
        was_default = address.is_default
        address.delete()
        if was_default:
            newest = Address.objects.filter(user=user).order_by("-id").first()
            if newest is not None:
                Address.objects.filter(pk=newest.pk).update(is_default=True)


# --- Roles -----------------------------------------------------------------------------------


def _require_admin(actor: User) -> None:
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied(_("Only administrators can change roles."))


def _refresh_staff_flags(user: User) -> None:
    names = set(user.groups.values_list("name", flat=True))
    user.is_superuser = Role.ADMIN.value in names
    user.is_staff = user.is_superuser or bool(names & {role.value for role in BACK_OFFICE_ROLES})
    user.save(update_fields=["is_staff", "is_superuser"])


def role_grant(*, actor: User, user: User, role: Role) -> None:
    _require_admin(actor)
    if role == Role.SHOPPER:
        return  # everyone is a shopper
    with transaction.atomic():
        user.groups.add(Group.objects.get(name=role.value))
        _refresh_staff_flags(user)


def role_revoke(*, actor: User, user: User, role: Role) -> None:
    _require_admin(actor)
    if role == Role.ADMIN and actor.pk == user.pk:
        raise Conflict(_("You cannot remove your own admin role."), code="last_admin")
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name=role.value))
        _refresh_staff_flags(user)


def admin_account_ensure(*, email: str | None, password: str | None) -> User:
    """`circlemart createadmin`: create the administrator, or reset its password and role."""
    address = normalize_email(email)
    user = User.objects.filter(email=address).first()
    candidate = user or User(email=address, nickname="admin")
    check_password_strength(password, user=candidate)
    with transaction.atomic():
        candidate.set_password(password)
        candidate.is_active = True
        candidate.save()
        candidate.groups.add(Group.objects.get_or_create(name=Role.ADMIN.value)[0])
        _refresh_staff_flags(candidate)
    return candidate


# --- Historical imports ----------------------------------------------------------------------

IMPORT_EMAIL_SUFFIX = ".invalid"


@dataclass(frozen=True)
class HistoricalUserInput:
    email: str  # an address the importer owns under a .invalid domain (RFC 2606)
    nickname: str
    joined_at: datetime


def users_import_historical(*, users: list[HistoricalUserInput]) -> dict[str, int]:
    """Accounts for the customers of another system's history (a data-set import): no usable
    password and no phone, an email under a `.invalid` domain (it can never receive mail and
    marks the account as imported), and `date_joined` in the past. Bulk, one transaction;
    accounts that already exist are kept as they are, so a rerun adds nothing.

    No UserRegistered is published: welcome messages and new-user coupons are not for people
    who registered years ago, and the importer records the historical analytics event itself.
    Returns email → user id for every address given."""
    rows = []
    for index, user in enumerate(users):
        email = normalize_email(user.email)
        if not email.endswith(IMPORT_EMAIL_SUFFIX):
            raise ValidationFailed(
                _("Imported accounts must use an address under a .invalid domain."),
                code="not_an_import_address",
                field=f"users[{index}].email",
            )
        if user.joined_at.tzinfo is None:
            raise ValidationFailed(
                _("The time must carry a time zone."),
                code="naive_time",
                field=f"users[{index}].joined_at",
            )
        nickname = clean_plain_text(
            user.nickname, field=f"users[{index}].nickname", min_length=1, max_length=30
        )
        account = User(email=email, nickname=nickname, date_joined=user.joined_at)
        account.set_unusable_password()
        rows.append(account)
    emails = [row.email for row in rows]
    with transaction.atomic():
        User.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        found: dict[str, int] = {}
        for start in range(0, len(emails), 1000):
            found.update(
                (email, user_id)
                for email, user_id in User.objects.filter(
                    email__in=emails[start : start + 1000]
                ).values_list("email", "id")
                if email is not None
            )
    return found
