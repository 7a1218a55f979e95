"""Users, API tokens, one-time codes and shipping addresses. Phones and addresses are PII:
encrypted at rest, looked up through a keyed digest."""

from __future__ import annotations

import secrets
import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circlemart.core.crypto import EncryptedTextField, mask_phone


def avatar_upload_path(instance: User, filename: str) -> str:
    return f"avatars/{instance.pk or 'new'}/{uuid.uuid4().hex}.webp"


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class UserQuerySet(models.QuerySet["User"]):
    """Bulk writes to users tombstone their remembered bearer tokens first, as saves do
    (accounts.token_cache): a cached snapshot of a user is never read after a change."""

    def update(self, **kwargs: Any) -> int:
        from circlemart.accounts import token_cache

        token_cache.user_fields_changing(self.values("pk"), kwargs)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        from circlemart.accounts import token_cache

        token_cache.forget_users(self.values("pk"))
        return super().delete()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def create_user(
        self, email: str | None = None, password: str | None = None, **fields: Any
    ) -> User:
        user = self.model(email=self.normalize_email(email).lower() if email else None, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("nickname", "admin")
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Gender(models.TextChoices):
        UNSPECIFIED = "", _("Prefer not to say")
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    class AgeRange(models.TextChoices):
        UNSPECIFIED = "", _("Prefer not to say")
        UNDER_18 = "<18", _("Under 18")
        FROM_18 = "18-24", "18–24"
        FROM_25 = "25-34", "25–34"
        FROM_35 = "35-44", "35–44"
        FROM_45 = "45+", _("45 and over")

    email = models.EmailField(_("email"), max_length=254, null=True, blank=True, unique=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    nickname = models.CharField(_("nickname"), max_length=30)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_path, blank=True)
    bio = models.CharField(_("bio"), max_length=200, blank=True, default="")
    city = models.CharField(_("city"), max_length=60, blank=True, default="")
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, blank=True, default=""
    )
    age_range = models.CharField(
        _("age range"), max_length=8, choices=AgeRange.choices, blank=True, default=""
    )
    interests = models.JSONField(_("interests"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("back-office access"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Rotated by "log out everywhere" and password changes: invalidates sessions and tokens.
    security_stamp = models.CharField(max_length=32, default=new_security_stamp)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone_digest__isnull=False),
                name="user_has_email_or_phone",
            ),
            models.CheckConstraint(
                condition=Q(email__isnull=True) | Q(email=Lower("email")),
                name="user_email_lowercase",
            ),
        ]
        permissions = [("view_pii", "Can see unmasked personal data")]

    def __str__(self) -> str:
        return self.nickname or self.email or f"user {self.pk}"

    def get_session_auth_hash(self) -> str:
        # Sessions carry this hash; rotating the stamp logs every session out.
        return f"{super().get_session_auth_hash()}:{self.security_stamp}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class ApiToken(models.Model):
    """Opaque bearer tokens; only their SHA-256 digest is stored."""

    class Kind(models.TextChoices):
        ACCESS = "access"
        REFRESH = "refresh"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64, unique=True)
    # Access and refresh tokens from one login share a family; reuse of a rotated refresh
    # token revokes the whole family (it was stolen or replayed).
    family = models.UUIDField(db_index=True)
    security_stamp = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"], name="token_by_user_live")]

    def __str__(self) -> str:
        return f"{self.kind} token of user {self.user_id}"


class OneTimeCode(models.Model):
    class Purpose(models.TextChoices):
        LOGIN = "login"

    phone_digest = models.CharField(max_length=64)
    purpose = models.CharField(max_length=12, choices=Purpose.choices, default=Purpose.LOGIN)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone_digest", "purpose", "-created_at"], name="otp_latest")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.pk}"


class Address(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    recipient = EncryptedTextField(_("recipient"))
    phone = EncryptedTextField(_("phone"))
    province = models.CharField(_("province"), max_length=40)
    city = models.CharField(_("city"), max_length=40)
    district = models.CharField(_("district"), max_length=40, blank=True, default="")
    detail = EncryptedTextField(_("street address"))
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True, default="")
    label = models.CharField(_("label"), max_length=20, blank=True, default="")
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.province} {self.city} {self.district}"
