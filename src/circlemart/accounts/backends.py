"""Django auth backend for the session login forms and the back office."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from circlemart.accounts.models import User
from circlemart.accounts.services import user_authenticate_password
from circlemart.core.errors import DomainError
from circlemart.core.ratelimit import client_ip


class EmailOrPhoneBackend(ModelBackend):
    """Email + password through the same lockout as the API; permissions as ModelBackend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email")
        ip = client_ip(request) if request is not None else "internal"
        try:
            return user_authenticate_password(email=email, password=password, ip=ip)
        except DomainError:
            # The auth backend protocol answers "no user"; the failure is already counted.
            return None
