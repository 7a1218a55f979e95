"""Django auth backend for the session login forms and the back office."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from circlemart.accounts.models import User
from circlemart.accounts.services import user_authenticate_password
from circlemart.accounts.signin.device import device_from_request
from circlemart.core.errors import DomainError
from circlemart.core.ratelimit import client_ip


class EmailOrPhoneBackend(ModelBackend):
    """Email + password through the same throttling as the API; permissions as ModelBackend.

    The back-office login form cannot show a step-up: past the limit it answers "wrong
    password" from that client, and staff sign in on /accounts/login/ (which can) instead.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email")
        ip = client_ip(request) if request is not None else "internal"
        device = device_from_request(request) if request is not None else ""
        try:
            return user_authenticate_password(email=email, password=password, ip=ip, device=device)
        except DomainError:
            # The auth backend protocol answers "no user"; the attempt is already counted.
            return None
