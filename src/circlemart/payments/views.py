"""Pages of payments: the provider webhook endpoint, the buyer's return from the provider, the
hand-off to a provider's pay page, the QR page (WeChat Native) and, in test mode only, the test
gateway's hosted pay page (which stands in for a provider's own site)."""

from __future__ import annotations

import io
import logging
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circlemart.core.money import Money, babel_locale
from circlemart.payments import gateway, links, selectors, services
from circlemart.payments.contracts import PaymentStatus, PaymentView
from circlemart.payments.models import GatewayCharge
from circlemart.payments.providers import provider_label
from circlemart.payments.providers.base import ProviderUnavailable

logger = logging.getLogger(__name__)


@csrf_exempt  # called by the provider's servers, authenticated by the signature instead
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Answered in the form each provider expects ("success", 204, JSON…); see its adapter."""
    ack = services.payment_answer_webhook(
        provider=provider, headers=request.headers, body=request.body
    )
    return HttpResponse(ack.body, status=ack.status, content_type=ack.content_type)


def _may_see(request: HttpRequest, payment_id: int) -> bool:
    if links.return_signature_is_valid(payment_id, request.GET.get("sig", "")):
        return True
    user = request.user
    return bool(user.is_authenticated and selectors.payment_by_id(payment_id, user.pk) is not None)


@require_GET
def payment_return(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The buyer is back from the provider: ask it how things stand, then go to the shop."""
    if not _may_see(request, payment_id):
        raise Http404
    target = selectors.payment_return_url(payment_id)
    if target is None:
        raise Http404
    try:
        services.payment_confirm_from_provider(payment_id=payment_id)
    except ProviderUnavailable:  # the webhook will bring the news instead
        logger.warning("provider unavailable on return", extra={"payment_id": payment_id})
    return HttpResponseRedirect(target if links.is_same_site_path(target) else "/")


def _payment_for_page(request: HttpRequest, payment_id: int) -> PaymentView:
    payment = selectors.payment_view_by_id(payment_id) if _may_see(request, payment_id) else None
    if payment is None:
        raise Http404
    return payment


def _done_url(payment_id: int) -> str:
    target = selectors.payment_return_url(payment_id) or "/"
    return target if links.is_same_site_path(target) else "/"


@require_GET
def payment_leave(request: HttpRequest, payment_id: int) -> HttpResponse:
    """A page that sends the buyer on to the provider's pay page. A form's redirect may not
    leave the site (CSP form-action 'self'), so the pay form lands here first."""
    payment = _payment_for_page(request, payment_id)
    if payment.status != PaymentStatus.CREATED or not payment.redirect_url:
        return HttpResponseRedirect(_done_url(payment_id))
    context = {
        "payment": payment,
        "provider_label": provider_label(payment.provider),
        "target": payment.redirect_url,
        "amount": _amount(payment.amount, payment.currency),
    }
    return render(request, "payments/leave.html", context)


def _amount(amount: int, currency: str) -> str:
    return Money(amount, currency).format(babel_locale(get_language()))


def _qr_svg(content: str) -> str:
    buffer = io.BytesIO()
    qr = segno.make(content, error="m")
    qr.save(buffer, kind="svg", border=2, xmldecl=False, omitsize=True, svgclass=None)
    return buffer.getvalue().decode()


@require_GET
def payment_qr(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Shows the provider's QR code and polls until the payment lands, then goes on."""
    payment = _payment_for_page(request, payment_id)
    if payment.status != PaymentStatus.CREATED or not payment.qr_code:
        done = _done_url(payment_id)
        if getattr(request, "htmx", False):
            return HttpResponse(headers={"HX-Redirect": done})
        return HttpResponseRedirect(done)
    context = {
        "payment": payment,
        "provider_label": provider_label(payment.provider),
        "amount": _amount(payment.amount, payment.currency),
        "qr_svg": _qr_svg(payment.qr_code),
        "done_url": _done_url(payment_id),
    }
    if getattr(request, "htmx", False):
        return HttpResponse(status=204)  # still waiting: nothing to swap
    return render(request, "payments/qr.html", context)


def _pay_page(
    request: HttpRequest, charge: GatewayCharge, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "charge": charge,
        "amount": _amount(charge.amount, charge.currency),
        "error": error,
        "back_url": _same_site(charge.return_url),
    }
    return render(request, "payments/test_gateway/pay.html", context, status=status)


def _same_site(url: str) -> str:
    """The gateway lives on this site: send the buyer back by path, whatever host or port the
    return URL was built with."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if links.is_same_site_path(path) else "/"


@require_http_methods(["GET", "POST"])
def test_gateway_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The test gateway's hosted page: Pay or Fail, then back to the merchant's return URL."""
    if not settings.PAYMENTS_TEST_MODE:
        raise Http404
    charge = gateway.charge_by_token(token=token)
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in {"pay", "fail"}:
            return _pay_page(request, charge, error=_("Choose Pay or Fail."), status=400)
        charge = gateway.charge_complete(token=token, pay=outcome == "pay")
        return HttpResponseRedirect(_same_site(charge.return_url))
    return _pay_page(request, charge)
