"""Shopper pages of live rooms: the list (live now, upcoming, replays), the room with its player,
chat and pinned product, the buy-in-the-room sheet, coupon claims, and the replay with its chat
log in time. Reads go through live.selectors, writes through live.services and orders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.errors import DomainError, NotFound
from circlemart.core.web import viewer_id
from circlemart.live.selectors import chat as chat_selectors
from circlemart.live.selectors import rooms as room_selectors
from circlemart.live.services import deals as deal_services
from circlemart.live.staticfiles import STATIC_PATH, hls_js_available
from circlemart.orders import selectors as order_selectors
from circlemart.orders import services as order_services
from circlemart.payments import selectors as payment_selectors
from circlemart.pricing.contracts import QuoteItem
from circlemart.promotions.coupons import selectors as coupon_selectors
from circlemart.social import selectors as social_selectors
from circlemart.social import services as social_services

SECTIONS = [
    ("live", gettext_lazy("Live now")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("replay", gettext_lazy("Replays")),
]
MAX_QUANTITY = 99
CHAT_LOG_LIMIT = 500
CATCH_UP_FRAMES = 30
PAID_STATUSES = {"paid", "shipped", "delivered", "completed"}


def _websocket_setting() -> str:
    return str(getattr(settings, "LIVE_WEBSOCKET_URL", "") or "")


def _room_or_404(room_id: int, user_id: int | None) -> Any:
    try:
        return room_selectors.room_detail(room_id=room_id, viewer_id=user_id)
    except NotFound as missing:
        raise Http404(_("Live room not found.")) from missing


def starts_in(moment: datetime | None) -> str:
    """ "starts in 2 h" / "2小时后开播", "starts in 5 min", or the date when days away."""
    if moment is None:
        return ""
    seconds = int((moment - clock.now()).total_seconds())
    if seconds <= 60:
        return _("starting soon")
    if seconds < 3600:
        minutes = seconds // 60
        return ngettext("starts in %(count)d min", "starts in %(count)d min", minutes) % {
            "count": minutes
        }
    if seconds < 48 * 3600:
        hours = seconds // 3600
        return ngettext("starts in %(count)d h", "starts in %(count)d h", hours) % {"count": hours}
    days = seconds // 86400
    return ngettext("starts in %(count)d day", "starts in %(count)d days", days) % {"count": days}


def _with_starts_in(cards: list[Any]) -> list[dict[str, Any]]:
    return [
        {"card": card, "starts_in": starts_in(getattr(card, "scheduled_start", None))}
        for card in cards
    ]


@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    section = request.GET.get("tab") or ""
    if section not in dict(SECTIONS):
        section = ""
    sections = {
        key: _with_starts_in(room_selectors.rooms_list(section=key, limit=20))
        for key, _label in SECTIONS
    }
    if not section:  # open on the first tab with something to watch
        section = next((key for key, _label in SECTIONS if sections[key]), "live")
    context = {
        "sections": [(key, label, len(sections[key])) for key, label in SECTIONS],
        "section": section,
        "cards": sections[section],
    }
    return render(request, "live/list.html", context)


def _websocket_url(request: HttpRequest, room_id: int) -> str:
    base = _websocket_setting().rstrip("/")
    return f"{base}/ws/live/{room_id}/"


@require_GET
def room_page(request: HttpRequest, room_id: int) -> HttpResponse:
    user_id = viewer_id(request)
    room = _room_or_404(room_id, user_id)
    role = room.role  # room_detail decided it for this viewer
    following = bool(
        user_id
        and user_id != room.host.id
        and social_selectors.is_following(follower_id=user_id, followee_id=room.host.id)
    )
    number = request.GET.get("order") or ""
    context = {
        "room": room,
        "login_url": _login_url(room_id),
        # A new viewer sees the room's last messages: the socket replays them from the log.
        "catch_up_from": max(0, room.last_sequence - CATCH_UP_FRAMES),
        "js_strings": _js_strings(),
        "role": role,
        "is_host": role in {"host", "assistant", "staff"},
        "following": following,
        "starts_in": starts_in(room.scheduled_start),
        "websocket_url": _websocket_url(request, room_id),
        "hls_script": _hls_script(),
        "order_number": number if number.isalnum() and len(number) <= 32 else "",
    }
    # The CSP of /live/ pages (websocket server, media hosts) is core.middleware's.
    return render(request, "live/room.html", context)


def _login_url(room_id: int) -> str:
    return f"{reverse('accounts:login')}?{urlencode({'next': f'/live/{room_id}/'})}"


def _js_strings() -> dict[str, str]:
    """The words room.js shows (it has no gettext); %(name)s placeholders filled in JS."""
    return {
        "connecting": _("Connecting…"),
        "reconnecting": _("Reconnecting…"),
        "kicked": _("You were removed from this room."),
        "gone": _("This room is not available."),
        "muted": _("You are muted in this room: %(reason)s"),
        "muted_no_reason": _("You are muted in this room."),
        "muted_until": _("until %(time)s"),
        "unmuted": _("You can chat again."),
        "bought": _("%(buyer)s just bought %(product)s"),
        "joined_coupon": _("%(amount)s off"),
        "min_spend": _("On orders over %(amount)s"),
        "no_min_spend": _("No minimum spend"),
        "left": _("%(count)s left"),
        "sold_out": _("All claimed"),
        "claimed": _("Claimed"),
        "flash": _("Flash deal"),
        "flash_left": _("%(count)s left at this price"),
        "slow_mode": _("Slow mode: one message every %(seconds)s s"),
        "explaining": _("Explaining now"),
        "buy": _("Buy"),
        "deleted": _("A message was removed."),
        "load_failed": _("Could not load. Check your connection and try again."),
    }


def _hls_script() -> str:
    """The bundled hls.js, when the build installed it (static live/vendor/hls.min.js)."""
    return static(STATIC_PATH) if hls_js_available() else ""


@require_GET
def replay_page(request: HttpRequest, room_id: int) -> HttpResponse:
    room = _room_or_404(room_id, viewer_id(request))
    if room.state not in {"ended", "replay"}:
        raise Http404(_("This room has no replay yet."))
    video = room.replay_url or room.video_url
    started = room.started_at
    log = []
    frames = chat_selectors.chat_log(
        room_id=room_id, after_seq=0, limit=CHAT_LOG_LIMIT, kinds=("chat",)
    )
    for frame in frames:
        data = frame.get("data") or {}
        if data.get("deleted"):
            continue
        at = datetime.fromisoformat(frame["at"]) if isinstance(frame["at"], str) else frame["at"]
        offset = max(0, int((at - started).total_seconds())) if started else 0
        log.append({"offset": offset, "clock": _clock(offset), "data": data})
    context = {
        "room": room,
        "video_url": video,
        "log": log,
        "hls_script": _hls_script(),
    }
    return render(request, "live/replay.html", context)


# ---- buying in the room ----


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _room_product(room: Any, product_id: int) -> Any:
    for card in room.products:
        if card.product_id == product_id:
            return card
    if room.pinned_product is not None and room.pinned_product.product_id == product_id:
        return room.pinned_product
    return None


def _sheet_response(request: HttpRequest, context: dict[str, Any], status: int = 200) -> Any:
    return render(request, "live/partials/sheet.html", context, status=status)


@require_http_methods(["GET", "POST"])
def product_sheet(request: HttpRequest, room_id: int, product_id: int) -> HttpResponse:
    """The bottom sheet over the player: SKU, quantity, address, best coupon, total, pay."""
    user_id = viewer_id(request)
    room = _room_or_404(room_id, user_id)
    base: dict[str, Any] = {"room": room, "product_id": product_id}
    card = _room_product(room, product_id)
    detail = catalog_selectors.product_detail(product_id) if card is not None else None
    if card is None or detail is None:
        base["error"] = _("This product is not sold in this room.")
        return _sheet_response(request, base, status=404)
    source = request.POST if request.method == "POST" else request.GET
    skus = [sku for sku in detail.skus if sku.available > 0] or list(detail.skus)
    sku_id = _int(source.get("sku_id"))
    sku = next((s for s in detail.skus if s.id == sku_id), None)
    base |= {"card": card, "product": detail, "skus": skus}
    if sku_id is not None and sku is None:
        base["error"] = _("Choose one of the options shown.")
        base["sku"] = skus[0] if skus else None
        return _sheet_response(request, base, status=400)
    sku = sku or (skus[0] if skus else None)
    quantity = _int(source.get("quantity")) if source.get("quantity") is not None else 1
    base |= {"sku": sku, "quantity": quantity}
    base["login_url"] = _login_url(room_id)
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        base["error"] = _("Choose a quantity from 1 to %(max)d.") % {"max": MAX_QUANTITY}
        base["quantity"] = 1
        return _sheet_response(request, base, status=400)
    if user_id is None:
        if request.method == "POST":
            base["error"] = _("Sign in to buy.")
            return _sheet_response(request, base, status=401)
        return _sheet_response(request, base)
    if sku is None:
        base["error"] = _("This product is sold out.")
        return _sheet_response(request, base, status=409)
    return _sheet_checkout(request, base, room_id=room_id, buyer_id=user_id, source=source)


def _sheet_checkout(
    request: HttpRequest, base: dict[str, Any], *, room_id: int, buyer_id: int, source: Any
) -> HttpResponse:
    sku, quantity = base["sku"], base["quantity"]
    items = [QuoteItem(sku_id=sku.id, quantity=quantity)]
    addresses = list(account_selectors.addresses_of(request.user))  # type: ignore[arg-type]
    address_id = _int(source.get("address_id"))
    if address_id is None or all(a.id != address_id for a in addresses):
        address_id = account_selectors.default_address_id(buyer_id)
    address = next((a for a in addresses if a.id == address_id), None)
    region = address.province if address is not None else ""
    coupons = coupon_selectors.checkout_coupon_choices(
        buyer_id=buyer_id,
        items=items,
        selected_ids=coupon_selectors.coupon_ids_from_form(source),
        region=region,
    )
    options: dict[str, Any] = {"coupon_ids": coupons.selected_ids, "points": 0}
    back = f"/live/{room_id}/"
    base |= {
        "addresses": addresses,
        "address": address,
        "coupons": coupons,
        "checkout_token": (source.get("checkout_token") or uuid.uuid4().hex)[:64],
        "pay_methods": payment_selectors.payment_methods(settings.DEFAULT_CURRENCY),
        "addresses_url": f"{reverse('accounts:addresses')}?{urlencode({'next': back})}",
    }
    status = 200
    if request.method == "POST":
        data = order_services.CheckoutInput(
            items=items,
            address_id=address_id,
            source="buy_now",
            expected_total=_int(source.get("expected_total")),
            idempotency_key=base["checkout_token"],
            attribution={"source": f"live:{room_id}"},
            options=options,
        )
        try:
            order = order_services.order_place(buyer_id=buyer_id, data=data)
        except DomainError as refusal:
            base["error"] = str(refusal.message)
            status = refusal.status if 400 <= refusal.status < 500 else 409
        else:
            return _pay(request, room_id=room_id, buyer_id=buyer_id, number=order.number)
    try:
        base["quote"] = order_services.checkout_quote(
            buyer_id=buyer_id,
            data=order_services.CheckoutInput(items=items, address_id=address_id, options=options),
        )
    except DomainError as refusal:
        base["error"] = base.get("error") or str(refusal.message)
        status = status if status != 200 else 409
    return _sheet_response(request, base, status=status)


def _pay(request: HttpRequest, *, room_id: int, buyer_id: int, number: str) -> HttpResponse:
    """Start paying; the provider's page (the test gateway, a QR page, the hand-off) sends the
    buyer back to the room, which reopens the sheet on the order and waits for "paid"."""
    back = f"/live/{room_id}/?{urlencode({'order': number})}"
    try:
        payment = order_services.order_pay(
            buyer_id=buyer_id,
            number=number,
            return_url=back,
            site_url=request.build_absolute_uri("/").rstrip("/"),
            provider=request.POST.get("provider", ""),
        )
    except DomainError as refusal:
        return _order_status(request, room_id=room_id, number=number, error=str(refusal.message))
    response = HttpResponse(status=204)
    response["HX-Redirect"] = payment_selectors.buyer_pay_path(payment)
    return response


def _order_status(
    request: HttpRequest, *, room_id: int, number: str, error: str = ""
) -> HttpResponse:
    user_id = viewer_id(request)
    order = order_selectors.order_for_buyer(buyer_id=user_id, number=number) if user_id else None
    if order is None:  # someone else's order looks exactly like a missing one
        return render(
            request,
            "live/partials/order_status.html",
            {"error": _("Order not found."), "room_id": room_id},
            status=404,
        )
    context = {
        "order": order,
        "room_id": room_id,
        "is_paid": order.status in PAID_STATUSES,
        "error": error,
    }
    return render(request, "live/partials/order_status.html", context)


@require_GET
def order_status(request: HttpRequest, room_id: int, number: str) -> HttpResponse:
    return _order_status(request, room_id=room_id, number=number)


@require_POST
def coupon_claim(request: HttpRequest, room_id: int, template_id: int) -> HttpResponse:
    user_id = viewer_id(request)
    context: dict[str, Any] = {"room_id": room_id, "template_id": template_id}
    if user_id is None:
        context["login_url"] = _login_url(room_id)
        return render(request, "live/partials/claim.html", context, status=401)
    try:
        deal_services.room_coupon_claim(
            user_id=user_id, room_id=room_id, coupon_template_id=template_id
        )
    except DomainError as refusal:
        context |= {"error": str(refusal.message), "code": refusal.code}
        return render(request, "live/partials/claim.html", context, status=refusal.status)
    context["claimed"] = True
    return render(request, "live/partials/claim.html", context)


@require_POST
def remind(request: HttpRequest, room_id: int) -> HttpResponse:
    """ "Remind me" follows the host: followers are told before the room starts."""
    user_id = viewer_id(request)
    room = _room_or_404(room_id, user_id)
    context: dict[str, Any] = {"room": room, "compact": request.POST.get("compact") == "1"}
    if user_id is None:
        context["login_url"] = _login_url(room_id)
        return render(request, "live/partials/remind.html", context, status=401)
    if user_id != room.host.id:
        try:
            social_services.follow_create(follower_id=user_id, followee_id=room.host.id)
        except DomainError as refusal:
            context["error"] = str(refusal.message)
            return render(request, "live/partials/remind.html", context, status=refusal.status)
    context["following"] = True
    return render(request, "live/partials/remind.html", context)


@require_GET
def live_strip(request: HttpRequest) -> HttpResponse:
    """The home page's "live now" strip (loaded by htmx: the home body is cached)."""
    cards = room_selectors.rooms_list(section="live", limit=8)
    return render(request, "live/partials/strip.html", {"cards": cards})


@require_GET
def host_rooms(request: HttpRequest, user_id: int) -> HttpResponse:
    """A creator profile's "live rooms" section: live now, upcoming, replays."""
    groups = [
        (
            key,
            label,
            _with_starts_in(room_selectors.rooms_list(section=key, limit=6, host_id=user_id)),
        )
        for key, label in SECTIONS
    ]
    groups = [group for group in groups if group[2]]
    return render(request, "live/partials/host_rooms.html", {"groups": groups})
