"""Accounts pages: sign-up, sign-in (password or phone code), profile, addresses, passwords."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from circlemart.accounts import selectors, services
from circlemart.accounts.contracts import Role
from circlemart.accounts.forms import (
    AddressForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    PhoneLoginForm,
    ProfileForm,
    SignupForm,
)
from circlemart.accounts.models import User
from circlemart.accounts.signin.challenge import ChallengeRequired
from circlemart.accounts.signin.codes import CodeRequired
from circlemart.accounts.signin.device import device_from_request, device_remember
from circlemart.core import ratelimit
from circlemart.core.errors import DomainError, NotFound
from circlemart.core.ratelimit import client_ip
from circlemart.core.web import form_error
from circlemart.growth.points import selectors as points_selectors
from circlemart.promotions.coupons import selectors as coupon_selectors
from circlemart.social import selectors as social_selectors

BACKEND = "circlemart.accounts.backends.EmailOrPhoneBackend"
# What the profile badge says; the role values are group names, not words for shoppers.
ROLE_LABELS = {
    Role.SHOPPER: gettext_lazy("Shopper"),
    Role.CREATOR: gettext_lazy("Creator"),
    Role.MERCHANT_STAFF: gettext_lazy("Merchant staff"),
    Role.MODERATOR: gettext_lazy("Moderator"),
    Role.ANALYST: gettext_lazy("Analyst"),
    Role.OPERATOR: gettext_lazy("Growth operator"),
    Role.ADMIN: gettext_lazy("Administrator"),
}


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit(f"register:ip:{client_ip(request)}", limit=10, window=3600, field="email")
            user = services.user_register_with_email(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                nickname=form.cleaned_data["nickname"] or None,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, _("Welcome to Circlemart!"))
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


def login_page(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_authenticate_password(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
                device=device_from_request(request),
                answer=services.StepUpAnswer(
                    challenge=form.cleaned_data["challenge"],
                    nonce=form.cleaned_data["nonce"],
                    sms_code=form.cleaned_data["sms_code"],
                ),
            )
        except ChallengeRequired as error:
            # The page solves it in the browser (static/accounts/js/challenge.js).
            form_error(form, error, aliases={"challenge": ""})
            context["challenge"] = error.challenge
        except CodeRequired as error:
            form_error(form, error)
            context["code_required"] = True
        except DomainError as error:
            form_error(form, error)
        else:
            login(request, user, backend=BACKEND)
            response = redirect(_next_url(request, "/accounts/profile/"))
            device_remember(response, user_id=user.pk)
            return response
    context.update(phone_form=PhoneLoginForm(), next=_next_url(request, ""))
    return render(request, "accounts/login.html", context)


def phone_login(request: HttpRequest) -> HttpResponse:
    form = PhoneLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, created = services.user_login_with_otp(
                phone=form.cleaned_data["phone"],
                code=form.cleaned_data["code"],
                ip=client_ip(request),
            )
        except DomainError as error:
            form_error(form, error)
        else:
            login(request, user, backend=BACKEND)
            if created:
                messages.success(request, _("Welcome to Circlemart!"))
            return redirect(_next_url(request, "/accounts/profile/"))
    return render(request, "accounts/phone_login.html", {"form": form})


@require_POST
def phone_code(request: HttpRequest) -> HttpResponse:
    """htmx: text a code and answer with the status line under the phone field."""
    form = PhoneLoginForm(request.POST)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        try:
            sent = services.otp_request(phone=form.cleaned_data["phone"], ip=client_ip(request))
        except DomainError as error:
            context["error"] = str(error.message)
        else:
            context["sent"] = sent
    status = 200 if "sent" in context else 400
    if not request.htmx:  # type: ignore[attr-defined]
        if "sent" in context:
            messages.success(request, _("We sent a code to your phone."))
        else:
            messages.error(request, str(context.get("error") or _("Enter a valid mobile number.")))
        return redirect("accounts:phone-login")
    return render(request, "accounts/partials/code_status.html", context, status=status)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("storefront:home")


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    services.user_logout_everywhere(user=_me(request))
    logout(request)
    messages.success(request, _("You are signed out on every device."))
    return redirect("accounts:login")


# The "me" page's order shortcuts: (orders list status filter, label, icon).
ORDER_SHORTCUTS = [
    ("pending_payment", gettext_lazy("To pay"), "wallet"),
    ("paid", gettext_lazy("To ship"), "box"),
    ("shipped", gettext_lazy("To receive"), "truck"),
    ("delivered", gettext_lazy("To review"), "review"),
    ("refunding", gettext_lazy("Refunds"), "refund"),
]


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The "me" hub: who I am, my orders by status, coupons and points, my content and
    circles, settings."""
    user = _me(request)
    context = {
        "profile": user,
        "role_labels": [ROLE_LABELS[role] for role in selectors.user_roles(user)],
        "counts": social_selectors.follow_counts(user.pk),
        "addresses": selectors.addresses_of(user)[:3],
        "order_shortcuts": ORDER_SHORTCUTS,
        "coupons_usable": coupon_selectors.my_coupon_counts(owner_id=user.pk).get("usable", 0),
        "points": points_selectors.points_balance(user.pk),
    }
    return render(request, "accounts/profile.html", context)


def _profile_initial(user: User) -> dict[str, object]:
    return {
        "nickname": user.nickname,
        "bio": user.bio,
        "city": user.city,
        "gender": user.gender,
        "age_range": user.age_range,
        "interests": ", ".join(user.interests or []),
    }


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    form = ProfileForm(request.POST or None, request.FILES or None, initial=_profile_initial(user))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # all fields or none, avatar included
                services.profile_update(
                    user=user,
                    nickname=form.cleaned_data["nickname"],
                    bio=form.cleaned_data["bio"],
                    city=form.cleaned_data["city"],
                    gender=form.cleaned_data["gender"],
                    age_range=form.cleaned_data["age_range"],
                    interests=form.interest_list(),
                )
                if form.cleaned_data.get("avatar"):
                    services.avatar_set(user=user, upload=form.cleaned_data["avatar"])
        except DomainError as error:
            user.refresh_from_db()
            form_error(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _me(request)
        try:
            services.password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            login(request, user, backend=BACKEND)  # keep this session, others are signed out
            messages.success(request, _("Password changed. Other devices were signed out."))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_request(email=form.cleaned_data["email"], ip=client_ip(request))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request, _("If an account uses this email, a reset link is on its way.")
            )
            return redirect("accounts:login")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        services.password_reset_user(uidb64=uidb64, token=token)
    except DomainError as error:
        return render(
            request, "accounts/password_reset_confirm.html", {"invalid": error.message}, status=400
        )
    form = PasswordResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_confirm(
                uidb64=uidb64, token=token, new_password=form.cleaned_data["new_password"]
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Password set. Sign in with your new password."))
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


def _address_input(form: AddressForm) -> services.AddressInput:
    return services.AddressInput(**form.cleaned_data)


def _chosen_address_url(next_url: str, address_id: int) -> str:
    """`next_url` (already checked to be on this site) with `address_id` chosen in its query:
    checkout sends the buyer here and gets them back with the address selected."""
    parts = urlsplit(next_url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "address_id"]
    query.append(("address_id", str(address_id)))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    next_url = _next_url(request, "")  # e.g. checkout, when the buyer came from there
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.address_create(user=user, data=_address_input(form))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Address saved."))
            if next_url:
                return redirect(_chosen_address_url(next_url, created.pk))
            return redirect("accounts:addresses")
    context = {
        "form": form,
        "next_url": next_url,
        # (address, the way back to checkout with it chosen, or "" when not from checkout)
        "address_rows": [
            (row, _chosen_address_url(next_url, row.pk) if next_url else "")
            for row in selectors.addresses_of(user)
        ],
    }
    return render(request, "accounts/addresses.html", context)


@login_required
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    user = _me(request)
    address = selectors.address_of(user, address_id)
    if address is None:
        raise NotFound(_("Address not found."))
    initial = {
        name: getattr(address, name)
        for name in (
            "recipient",
            "phone",
            "province",
            "city",
            "district",
            "detail",
            "postal_code",
            "label",
            "is_default",
        )
    }
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_update(user=user, address_id=address_id, data=_address_input(form))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("Address saved."))
            next_url = _next_url(request, "")
            if next_url:
                return redirect(_chosen_address_url(next_url, address_id))
            return redirect("accounts:addresses")
    context = {"form": form, "address": address, "next_url": _next_url(request, "")}
    return render(request, "accounts/address_edit.html", context)


@require_POST
@login_required
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    services.address_delete(user=_me(request), address_id=address_id)
    messages.success(request, _("Address deleted."))
    return redirect("accounts:addresses")


@require_POST
@login_required
def address_default(request: HttpRequest, address_id: int) -> HttpResponse:
    services.address_set_default(user=_me(request), address_id=address_id)
    return redirect("accounts:addresses")
