"""Pages of payments: the provider webhook endpoint, the buyer's return from the provider, and
the test gateway's hosted pay page (which stands in for a provider's own site)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circlemart.core.errors import DomainError
from circlemart.core.money import Money, babel_locale
from circlemart.payments import gateway, links, selectors, services
from circlemart.payments.models import GatewayCharge
from circlemart.payments.providers import payment_provider
from circlemart.payments.providers.base import ProviderUnavailable

logger = logging.getLogger(__name__)


@csrf_exempt  # called by the provider's servers, authenticated by the signature instead
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        services.payment_handle_webhook(
            provider=provider, headers=request.headers, body=request.body
        )
    except DomainError as exc:
        return JsonResponse({"error": exc.as_dict()}, status=exc.status)
    return JsonResponse({"received": True})


def _may_return(request: HttpRequest, payment_id: int) -> bool:
    if links.return_signature_is_valid(payment_id, request.GET.get("sig", "")):
        return True
    user = request.user
    return bool(user.is_authenticated and selectors.payment_by_id(payment_id, user.pk) is not None)


@require_GET
def payment_return(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The buyer is back from the provider: ask it how things stand, then go to the shop."""
    if not _may_return(request, payment_id):
        raise Http404
    target = selectors.payment_return_url(payment_id)
    if target is None:
        raise Http404
    try:
        services.payment_confirm_from_provider(payment_id=payment_id)
    except ProviderUnavailable:  # the webhook will bring the news instead
        logger.warning("provider unavailable on return", extra={"payment_id": payment_id})
    return HttpResponseRedirect(target if links.is_same_site_path(target) else "/")


def _pay_page(
    request: HttpRequest, charge: GatewayCharge, *, error: str = "", status: int = 200
) -> HttpResponse:
    amount = Money(charge.amount, charge.currency).format(babel_locale(get_language()))
    context = {"charge": charge, "amount": amount, "error": error}
    return render(request, "payments/test_gateway/pay.html", context, status=status)


@require_http_methods(["GET", "POST"])
def test_gateway_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The test gateway's hosted page: Pay or Fail, then back to the merchant's return URL."""
    if payment_provider().name != gateway.PROVIDER_NAME:
        raise Http404
    charge = gateway.charge_by_token(token=token)
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in {"pay", "fail"}:
            return _pay_page(request, charge, error=_("Choose Pay or Fail."), status=400)
        charge = gateway.charge_complete(token=token, pay=outcome == "pay")
        return HttpResponseRedirect(charge.return_url)
    return _pay_page(request, charge)
