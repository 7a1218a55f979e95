"""The buyer's way back from the provider: a signed link to /payments/return/<id>/, and the
check that a merchant return URL stays on this site (no open redirect)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

RETURN_SALT = "circlemart.payments.return"
MAX_RETURN_URL_LENGTH = 500


def return_signature(payment_id: int) -> str:
    return salted_hmac(RETURN_SALT, str(payment_id)).hexdigest()[:32]


def return_signature_is_valid(payment_id: int, signature: str) -> bool:
    return constant_time_compare(return_signature(payment_id), signature)


def provider_return_url(payment_id: int) -> str:
    """Absolute URL the provider sends the buyer back to after paying (or failing)."""
    path = reverse("payments:return", args=[payment_id])
    return f"{settings.SITE_URL.rstrip('/')}{path}?sig={return_signature(payment_id)}"


def is_same_site_path(url: str) -> bool:
    """A relative path on this site: "/orders/CM1/", never "//evil.example" or "https://…"."""
    if not url or len(url) > MAX_RETURN_URL_LENGTH or not url.startswith("/"):
        return False
    if url.startswith("//") or "\\" in url or any(ord(char) < 32 for char in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)
