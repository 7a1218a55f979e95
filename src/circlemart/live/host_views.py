"""The host's pages: create or schedule a room, the host's rooms, and the console (直播中控台)
from which the host, the room's assistants and staff run it. Thin: live.services write,
live.selectors read; every action re-checks the viewer's role on this room."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.errors import DomainError, PermissionDenied, ValidationFailed
from circlemart.core.web import form_error, signed_in_id
from circlemart.live.contracts import RoomView
from circlemart.live.selectors import chat as chat_selectors
from circlemart.live.selectors import rooms as room_selectors
from circlemart.live.selectors import stats as stats_selectors
from circlemart.live.services import deals as deal_services
from circlemart.live.services import rooms as room_services

# Roles that may open the console; the services decide again what each one may do.
CONSOLE_ROLES = frozenset({"host", "assistant", "staff"})
MANAGER_ROLES = frozenset({"host", "staff"})  # may move the state; assistants moderate
MAX_PRODUCTS = 50
MAX_ASSISTANTS = 10
SLOW_MODE_SECONDS = (0, 3, 10, 30, 60)
MUTE_MINUTES = (5, 30, 60, 1440)


# --- Forms ---------------------------------------------------------------------------------


class RoomForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=80)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    cover = forms.ImageField(label=gettext_lazy("Cover"), required=False)
    scheduled_start = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    video_url = forms.URLField(
        label=gettext_lazy("Video address"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Any HLS (.m3u8) or MP4/WebM address from your media server."),
        widget=forms.URLInput(attrs={"placeholder": "https://…/live.m3u8", "inputmode": "url"}),
    )
    # Filled by the product picker: one hidden `product_ids` input per chosen product.
    product_ids = forms.CharField(label=gettext_lazy("Products"), required=False)
    assistants = forms.CharField(
        label=gettext_lazy("Assistants"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "helper@example.com"}),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Email addresses or phone numbers, one per line."),
    )

    def product_id_list(self) -> list[int]:
        data = self.data
        values = data.getlist("product_ids") if isinstance(data, QueryDict) else []
        parts = [part.strip() for value in values for part in value.split(",") if part.strip()]
        if not all(part.isdigit() for part in parts):
            raise ValidationFailed(_("Choose products from the search."), field="product_ids")
        ids = list(dict.fromkeys(int(part) for part in parts))
        if len(ids) > MAX_PRODUCTS:
            raise ValidationFailed(
                _("A room shows at most %(count)d products.") % {"count": MAX_PRODUCTS},
                field="product_ids",
            )
        return ids

    def assistant_id_list(self) -> list[int]:
        contacts = [
            line.strip()
            for line in re.split(r"[\n,，;；]", self.cleaned_data.get("assistants") or "")
            if line.strip()
        ]
        if len(contacts) > MAX_ASSISTANTS:
            raise ValidationFailed(
                _("A room has at most %(count)d assistants.") % {"count": MAX_ASSISTANTS},
                field="assistants",
            )
        ids: list[int] = []
        for contact in contacts:
            user_id = _user_id_for_contact(contact)
            if user_id is None:
                raise ValidationFailed(
                    _("No account uses %(contact)s.") % {"contact": contact}, field="assistants"
                )
            if user_id not in ids:
                ids.append(user_id)
        return ids


def _user_id_for_contact(contact: str) -> int | None:
    """The active account signed in with this email or phone number, if any."""
    users = get_user_model().objects.filter(is_active=True)
    if "@" in contact:
        email = contact.lower()
        return users.filter(email__iexact=email).values_list("pk", flat=True).first()
    from circlemart.accounts import services as account_services
    from circlemart.core.crypto import lookup_digest

    try:
        number = account_services.normalize_phone(contact, field="assistants")
    except DomainError:
        return None
    digest = lookup_digest(number)
    return users.filter(phone_digest=digest).values_list("pk", flat=True).first()


class CouponForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Coupon name"), max_length=60)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount off (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
    )
    min_spend = forms.DecimalField(
        label=gettext_lazy("Minimum spend (yuan)"),
        min_value=Decimal("0"),
        max_digits=9,
        decimal_places=2,
        initial=0,
    )
    quantity = forms.IntegerField(label=gettext_lazy("How many"), min_value=1, max_value=100_000)
    valid_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"), min_value=1, max_value=90, initial=7
    )
    drop_now = forms.BooleanField(label=gettext_lazy("Drop it now"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount, min_spend = data.get("amount"), data.get("min_spend")
        if amount is not None and min_spend and amount > min_spend:
            self.add_error("amount", _("The amount off cannot be more than the minimum spend."))
        return data


class FlashForm(forms.Form):
    product_id = forms.IntegerField(label=gettext_lazy("Product"))
    sku_id = forms.IntegerField(label=gettext_lazy("Option"), required=False)
    price = forms.DecimalField(
        label=gettext_lazy("Flash price (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
    )
    quantity = forms.IntegerField(label=gettext_lazy("Units"), min_value=1, max_value=100_000)
    minutes = forms.IntegerField(
        label=gettext_lazy("Lasts (minutes)"), min_value=1, max_value=180, initial=10
    )


class AnnouncementForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Announcement"),
        max_length=200,
        widget=forms.TextInput(attrs={"maxlength": 200, "autocomplete": "off"}),
    )


def _yuan(value: Decimal) -> int:
    return int(value * 100)  # yuan on the page, fen inside


# --- Reading the room ----------------------------------------------------------------------


def _console_role(request: HttpRequest, room_id: int) -> str:
    """The viewer's role on the room; 404 for an unknown room, 403 for anyone not running it."""
    role = room_selectors.room_role(room_id=room_id, user_id=signed_in_id(request))
    if role not in CONSOLE_ROLES:
        raise PermissionDenied(_("Only the host and the room's assistants can run this room."))
    return role


def _room(request: HttpRequest, room_id: int) -> RoomView:
    return room_selectors.room_detail(room_id=room_id, viewer_id=signed_in_id(request))


def _skus(product_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    skus: dict[int, list[dict[str, Any]]] = {}
    for product_id in product_ids:
        detail = catalog_selectors.product_detail(product_id)
        if detail is None:
            continue
        skus[product_id] = [
            {
                "id": sku.id,
                "label": " / ".join(sku.options.values()) or sku.code,
                "price": sku.price,
                "available": sku.available,
            }
            for sku in detail.skus
        ]
    return skus


CHAT_HISTORY = 50


def _chat_history(room_id: int, last_sequence: int) -> list[dict[str, Any]]:
    """The room's latest chat messages (up to its current sequence number), oldest first."""
    frames = chat_selectors.chat_log(
        room_id=room_id,
        after_seq=max(0, last_sequence - CHAT_HISTORY * 4),
        kinds=("chat",),
    )
    return [frame for frame in frames if int(frame["seq"]) <= last_sequence][-CHAT_HISTORY:]


def _slow_mode_label(seconds: int) -> str:
    if not seconds:
        return _("Off")
    return ngettext(
        "One message every %(count)d second", "One message every %(count)d seconds", seconds
    ) % {"count": seconds}


def _duration_label(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _console_context(request: HttpRequest, room_id: int, role: str) -> dict[str, Any]:
    room = _room(request, room_id)
    skus = _skus([card.product_id for card in room.products])
    return {
        "room": room,
        "role": role,
        "is_host": role in MANAGER_ROLES,
        "products": room.products,
        "pinned_id": room.pinned_product.product_id if room.pinned_product else None,
        # Every coupon of the room, the ones not dropped yet too (with a "drop" button).
        "coupons": room_selectors.room_coupons(room_id=room_id, viewer_id=None, dropped_only=False),
        "flash_products": [
            (card, skus[card.product_id]) for card in room.products if skus.get(card.product_id)
        ],
        "stats": stats_selectors.room_stats(room_id),
        "coupon_form": CouponForm(initial={"valid_days": 7, "min_spend": 0, "drop_now": True}),
        "flash_form": FlashForm(initial={"minutes": 10}),
        "announcement_form": AnnouncementForm(),
        "slow_mode_choices": [
            (seconds, _slow_mode_label(seconds)) for seconds in SLOW_MODE_SECONDS
        ],
        "mute_choices": [(minutes, _duration_label(minutes)) for minutes in MUTE_MINUTES],
        "websocket_url": getattr(settings, "LIVE_WEBSOCKET_URL", ""),
        "chat_history": _chat_history(room_id, room.last_sequence),
    }


# --- Pages ---------------------------------------------------------------------------------


def _picked_products(form: RoomForm) -> list[Any]:
    data = form.data
    raw = data.getlist("product_ids") if isinstance(data, QueryDict) else []
    ids = [int(part) for value in raw for part in value.split(",") if part.strip().isdigit()]
    return catalog_selectors.product_cards(list(dict.fromkeys(ids))[:MAX_PRODUCTS])


@login_required
def room_new(request: HttpRequest) -> HttpResponse:
    """Create or schedule a room; refusals from the service land on the form."""
    user_id = signed_in_id(request)
    if not room_selectors.may_host(user_id):
        return render(request, "live/host/may_not_host.html", status=403)
    status = 200
    if request.method == "POST":
        form = RoomForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                room_id = room_services.room_create(
                    host_id=user_id,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    scheduled_start=form.cleaned_data["scheduled_start"],
                    video_url=form.cleaned_data["video_url"],
                    cover=form.cleaned_data.get("cover"),
                    product_ids=form.product_id_list(),
                    assistant_ids=form.assistant_id_list(),
                )
            except DomainError as error:
                form_error(form, error, aliases={"assistant_ids": "assistants"})
                status = error.status
            else:
                messages.success(request, _("Your live room is scheduled."))
                return redirect("live_host:console", room_id=room_id)
    else:
        form = RoomForm()
    context = {"form": form, "picked": _picked_products(form), "max_products": MAX_PRODUCTS}
    return render(request, "live/host/new.html", context, status=status)


# The host's rooms grouped as the host thinks of them (an ended room awaits its replay).
MY_SECTIONS = (
    ("live", gettext_lazy("Live now"), frozenset({"live", "paused"})),
    ("upcoming", gettext_lazy("Upcoming"), frozenset({"scheduled"})),
    ("past", gettext_lazy("Ended and replays"), frozenset({"ended", "replay"})),
)


@login_required
@require_GET
def my_rooms(request: HttpRequest) -> HttpResponse:
    """The host's rooms, live first, with links to their consoles."""
    user_id = signed_in_id(request)
    rooms = room_selectors.host_rooms(host_id=user_id, limit=100)
    sections = [
        (key, label, [room for room in rooms if room.state in states])
        for key, label, states in MY_SECTIONS
    ]
    context = {
        "sections": sections,
        "has_rooms": bool(rooms),
        "can_host": room_selectors.may_host(user_id),
    }
    return render(request, "live/host/mine.html", context)


@login_required
@require_GET
def console(request: HttpRequest, room_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    return render(request, "live/host/console.html", _console_context(request, room_id, role))


@login_required
@require_GET
def stats_panel(request: HttpRequest, room_id: int) -> HttpResponse:
    """The mini-stats, refreshed by htmx every few seconds."""
    _console_role(request, room_id)
    room = _room(request, room_id)
    context = {"room": room, "stats": stats_selectors.room_stats(room_id)}
    return render(request, "live/host/partials/stats.html", context)


@login_required
@require_GET
def coupon_list(request: HttpRequest, room_id: int) -> HttpResponse:
    """The room's coupons with what is left of each, refreshed by htmx while viewers claim."""
    _console_role(request, room_id)
    context = {
        "room": _room(request, room_id),
        "coupons": room_selectors.room_coupons(room_id=room_id, viewer_id=None, dropped_only=False),
    }
    return render(request, "live/host/partials/coupon_list.html", context)


# --- Actions -------------------------------------------------------------------------------


def _panel_answer(
    request: HttpRequest,
    room_id: int,
    role: str,
    *,
    panel: str,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """htmx gets the panel again (with its message); a plain form post goes back to the console."""
    if not getattr(request, "htmx", False):
        error = (extra or {}).get("error")
        if error:
            messages.error(request, str(error))
        elif (extra or {}).get("notice"):
            messages.success(request, str((extra or {})["notice"]))
        return redirect("live_host:console", room_id=room_id)
    context = {**_console_context(request, room_id, role), **(extra or {})}
    return render(request, f"live/host/partials/{panel}.html", context, status=status)


@login_required
@require_POST
def state_change(request: HttpRequest, room_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    action = request.POST.get("action", "")
    services = room_services
    calls: dict[str, Callable[..., Any]] = {
        "start": services.room_start,
        "pause": services.room_pause,
        "resume": services.room_resume,
        "end": services.room_end,
        "replay": services.room_publish_replay,
    }
    if action not in calls:
        extra: dict[str, Any] = {"error": _("Choose what to do with the room.")}
        return _panel_answer(request, room_id, role, panel="state", status=400, extra=extra)
    kwargs: dict[str, Any] = {"actor_id": signed_in_id(request), "room_id": room_id}
    if action == "replay":
        kwargs["replay_url"] = request.POST.get("replay_url", "").strip()
    try:
        calls[action](**kwargs)
    except DomainError as error:
        extra = {"error": error.message}
        return _panel_answer(
            request, room_id, role, panel="state", status=error.status, extra=extra
        )
    notices = {
        "start": _("You are live."),
        "pause": _("The room is paused."),
        "resume": _("You are live again."),
        "end": _("The room has ended."),
        "replay": _("The replay is published."),
    }
    return _panel_answer(request, room_id, role, panel="state", extra={"notice": notices[action]})


@login_required
@require_POST
def pin(request: HttpRequest, room_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    raw = request.POST.get("product_id", "").strip()
    if raw and not raw.isdigit():
        extra: dict[str, Any] = {"error": _("Choose a product of this room.")}
        return _panel_answer(request, room_id, role, panel="products", status=400, extra=extra)
    try:
        deal_services.room_pin_product(
            actor_id=signed_in_id(request), room_id=room_id, product_id=int(raw) if raw else None
        )
    except DomainError as error:
        extra = {"error": error.message}
        return _panel_answer(
            request, room_id, role, panel="products", status=error.status, extra=extra
        )
    notice = _("Now explaining this product.") if raw else _("No product is pinned.")
    return _panel_answer(request, room_id, role, panel="products", extra={"notice": notice})


@login_required
@require_POST
def coupon_create(request: HttpRequest, room_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    form = CouponForm(request.POST)
    status = 400
    extra: dict[str, Any] = {"coupon_form": form}
    if form.is_valid():
        deals = deal_services
        actor = signed_in_id(request)
        try:
            template_id = deals.room_coupon_create(
                actor_id=actor,
                room_id=room_id,
                name=form.cleaned_data["name"],
                amount=_yuan(form.cleaned_data["amount"]),
                min_spend=_yuan(form.cleaned_data["min_spend"]),
                quantity=form.cleaned_data["quantity"],
                valid_days=form.cleaned_data["valid_days"],
            )
            if form.cleaned_data["drop_now"]:
                deals.room_coupon_drop(
                    actor_id=actor, room_id=room_id, coupon_template_id=template_id
                )
        except DomainError as error:
            form_error(form, error)
            status = error.status
        else:
            notice = (
                _("The coupon is dropped in the room.")
                if form.cleaned_data["drop_now"]
                else _("The coupon is ready to drop.")
            )
            extra = {"notice": notice}
            status = 200
    elif not getattr(request, "htmx", False):
        extra["error"] = _("Check the coupon's fields.")
    return _panel_answer(request, room_id, role, panel="coupons", status=status, extra=extra)


@login_required
@require_POST
def coupon_drop(request: HttpRequest, room_id: int, template_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    try:
        deal_services.room_coupon_drop(
            actor_id=signed_in_id(request), room_id=room_id, coupon_template_id=template_id
        )
    except DomainError as error:
        extra: dict[str, Any] = {"error": error.message}
        return _panel_answer(
            request, room_id, role, panel="coupons", status=error.status, extra=extra
        )
    extra = {"notice": _("The coupon is dropped in the room.")}
    return _panel_answer(request, room_id, role, panel="coupons", extra=extra)


@login_required
@require_POST
def flash_start(request: HttpRequest, room_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    data = request.POST.copy()
    # The page posts one "<product id>:<sku id>" choice; the form checks both numbers.
    product_part, _sep, sku_part = data.get("sku_choice", "").partition(":")
    data.setdefault("product_id", product_part)
    data.setdefault("sku_id", sku_part)
    form = FlashForm(data)
    status = 400
    extra: dict[str, Any] = {"flash_form": form}
    if form.is_valid():
        sku_id = form.cleaned_data["sku_id"]
        if sku_id is None:
            form.add_error("sku_id", _("Choose an option of the product."))
        else:
            try:
                deal_services.room_flash_start(
                    actor_id=signed_in_id(request),
                    room_id=room_id,
                    product_id=form.cleaned_data["product_id"],
                    sku_id=sku_id,
                    price=_yuan(form.cleaned_data["price"]),
                    quantity=form.cleaned_data["quantity"],
                    minutes=form.cleaned_data["minutes"],
                )
            except DomainError as error:
                form_error(form, error, aliases={"price_minor": "price"})
                status = error.status
            else:
                extra = {"notice": _("The flash deal is on.")}
                status = 200
    if status != 200 and not getattr(request, "htmx", False):
        extra["error"] = _("Check the flash deal's fields.")
    return _panel_answer(request, room_id, role, panel="flash", status=status, extra=extra)


@login_required
@require_POST
def announce(request: HttpRequest, room_id: int) -> HttpResponse:
    role = _console_role(request, room_id)
    form = AnnouncementForm(request.POST)
    status = 400
    extra: dict[str, Any] = {"announcement_form": form}
    if form.is_valid():
        try:
            deal_services.room_announce(
                actor_id=signed_in_id(request), room_id=room_id, text=form.cleaned_data["text"]
            )
        except DomainError as error:
            form_error(form, error)
            status = error.status
        else:
            extra = {"notice": _("Announced to the room.")}
            status = 200
    if status != 200 and not getattr(request, "htmx", False):
        extra["error"] = _("Write an announcement of at most 200 characters.")
    return _panel_answer(request, room_id, role, panel="announce", status=status, extra=extra)
