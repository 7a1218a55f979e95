"""Links a payment hands to the provider and the buyer: the signed way back to
/payments/return/<id>/, the notification URL, the QR page, and the check that a merchant
return URL stays on this site (no open redirect).

Links are built when the payment starts, from the origin the buyer reached the shop by (so a
shop served on another host or port works without configuration); SITE_URL is the fallback
where there is no request (tasks, refunds).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

RETURN_SALT = "circlemart.payments.return"
MAX_RETURN_URL_LENGTH = 500


def return_signature(payment_id: int) -> str:
    return salted_hmac(RETURN_SALT, str(payment_id)).hexdigest()[:32]


def return_signature_is_valid(payment_id: int, signature: str) -> bool:
    return constant_time_compare(return_signature(payment_id), signature)


def site_url_for(request: HttpRequest | None) -> str:
    """This site's origin as the buyer reached it ("https://shop.example.com:8443"); the Host
    header was already checked against ALLOWED_HOSTS."""
    if request is None:
        return str(settings.SITE_URL).rstrip("/")
    return request.build_absolute_uri("/").rstrip("/")


def provider_return_url(payment_id: int, *, site_url: str) -> str:
    """Absolute URL the provider sends the buyer back to after paying (or failing)."""
    path = reverse("payments:return", args=[payment_id])
    return f"{site_url.rstrip('/')}{path}?sig={return_signature(payment_id)}"


def notify_url(provider_name: str, *, site_url: str) -> str:
    """Where the provider posts its notifications about payments and refunds."""
    return site_url.rstrip("/") + reverse("payments:webhook", args=[provider_name])


def leave_path(payment_id: int) -> str:
    """The shop's page that hands the buyer over to the provider's pay page."""
    return f"{reverse('payments:leave', args=[payment_id])}?sig={return_signature(payment_id)}"


def qr_page_path(payment_id: int) -> str:
    """The shop's page that shows a provider's QR code and waits for the payment."""
    return f"{reverse('payments:qr', args=[payment_id])}?sig={return_signature(payment_id)}"


def is_same_site_path(url: str) -> bool:
    """A relative path on this site: "/orders/CM1/", never "//evil.example" or "https://…"."""
    if not url or len(url) > MAX_RETURN_URL_LENGTH or not url.startswith("/"):
        return False
    if url.startswith("//") or "\\" in url or any(ord(char) < 32 for char in url):
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=set(), require_https=False)
