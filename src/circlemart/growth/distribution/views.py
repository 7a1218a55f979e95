"""Pages of distribution: the distributor centre (/growth/distribution/: apply, status,
earnings, links, orders with commission, withdrawals), its forms, the statement CSV, and the
promotion link itself (/growth/d/<token>/), which binds the visitor and goes to the target."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.errors import DomainError
from circlemart.core.web import form_error, signed_in_id, viewer_id
from circlemart.growth.distribution import selectors, services
from circlemart.growth.distribution.contracts import DistributorStatus, LinkTarget
from circlemart.growth.distribution.middleware import SESSION_KEY
from circlemart.growth.distribution.statement import statement_response


class ApplyForm(forms.Form):
    upline_code = forms.CharField(
        label=gettext_lazy("Recruiter's code (optional)"), max_length=16, required=False
    )


class LinkForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("Link to"),
        choices=[
            (LinkTarget.PRODUCT.value, gettext_lazy("A product")),
            (LinkTarget.CATEGORY.value, gettext_lazy("A category")),
            (LinkTarget.SHOP.value, gettext_lazy("The whole shop")),
        ],
    )
    target_id = forms.IntegerField(
        label=gettext_lazy("Product or category id"), min_value=0, required=False
    )


class WithdrawForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (¥)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128, required=False)


def _centre(
    request: HttpRequest,
    *,
    apply_form: ApplyForm | None = None,
    link_form: LinkForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user_id = signed_in_id(request)
    distributor = selectors.distributor_of(user_id)
    context: dict[str, object] = {
        "distributor": distributor,
        "apply_form": apply_form or ApplyForm(),
        "min_withdrawal": settings.DISTRIBUTION_MIN_WITHDRAWAL,
    }
    if distributor is not None and distributor.status == DistributorStatus.APPROVED:
        initial = {"target": request.GET.get("target", LinkTarget.PRODUCT.value)}
        if request.GET.get("target_id", "").isdigit():
            initial["target_id"] = request.GET["target_id"]
        links = selectors.links_of(distributor.id)
        context.update(
            balance=selectors.balance_of(distributor.id),
            links=[(link, request.build_absolute_uri(link.path)) for link in links],
            commissions=selectors.commissions_of(
                distributor_id=distributor.id, cursor=None, limit=20
            ).items,
            withdrawals=selectors.withdrawals_of(distributor_id=distributor.id, limit=10),
            link_form=link_form or LinkForm(initial=initial),
            # A fresh key per form shown: a double-submitted form asks once.
            withdraw_form=withdraw_form or WithdrawForm(initial={"idempotency_key": uuid4().hex}),
            currency=settings.DEFAULT_CURRENCY,
        )
    return render(request, "growth/distribution/centre.html", context, status=status)


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    return _centre(request)


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplyForm(request.POST)
    if form.is_valid():
        try:
            services.distributor_apply(
                user_id=signed_in_id(request), upline_code=form.cleaned_data["upline_code"]
            )
        except DomainError as refusal:
            form_error(form, refusal)
        else:
            messages.success(request, _("Application sent. We will tell you when it is reviewed."))
            return redirect("growth:distribution")
    return _centre(request, apply_form=form, status=400)


@login_required
@require_POST
def link_create(request: HttpRequest) -> HttpResponse:
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            services.link_create(
                user_id=signed_in_id(request),
                target=form.cleaned_data["target"],
                target_id=form.cleaned_data["target_id"] or 0,
            )
        except DomainError as refusal:
            form_error(form, refusal)
        else:
            messages.success(request, _("Your link is ready: copy it below."))
            return redirect(reverse("growth:distribution") + "#links")
    return _centre(request, link_form=form, status=400)


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.withdrawal_request(
                user_id=signed_in_id(request),
                amount=int(form.cleaned_data["amount"] * 100),  # yuan on the page, cents inside
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except DomainError as refusal:
            form_error(form, refusal)
        else:
            messages.success(request, _("Withdrawal requested: an operator will review it."))
            return redirect(reverse("growth:distribution") + "#withdrawals")
    return _centre(request, withdraw_form=form, status=400)


@login_required
@require_GET
def statement(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    try:
        return statement_response(
            user_id=signed_in_id(request), scope=request.GET.get("scope", "mine")
        )
    except DomainError as refusal:
        return HttpResponse(str(refusal.message), status=refusal.status, content_type="text/plain")


def _target_url(target: LinkTarget, target_id: int) -> str:
    if target == LinkTarget.PRODUCT:
        return reverse("storefront:product", args=[target_id])
    if target == LinkTarget.CATEGORY:
        node = catalog_selectors.category_by_id(target_id)
        if node is not None:
            return reverse("storefront:category", args=[node.slug])
    return reverse("storefront:home")


@require_GET
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """A promotion link: count the visit, bind the visitor (now, or on sign-in), go on."""
    visitor = viewer_id(request)
    try:
        opened = services.link_open(token=token, visitor_id=visitor)
    except DomainError:
        raise Http404(_("This link is not valid.")) from None
    if visitor is None and SESSION_KEY not in request.session:
        # The first link opened wins, as for signed-in buyers.
        request.session[SESSION_KEY] = opened.link_id
    return redirect(_target_url(opened.target, opened.target_id))
