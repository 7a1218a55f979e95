"""Back office of the live rooms: the room list (state, host, start, peak viewers, GMV), its
products and assistants, its state moves, a statistics page (KPI cards and a per-minute Plotly
chart), the message log (read-only; "delete" hides a chat message through the chat service,
which tells every viewer), mutes (lifted through the service) and the orders placed in rooms.

State moves go through live.services.rooms only: the state, timestamps, counters and the pinned
product are read-only here. Rooms are created on /live/new/ (the services check who may host)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.core.admin_widgets import format_money, money_display
from circlemart.core.errors import DomainError
from circlemart.core.money import minor_unit_exponent
from circlemart.live.models import (
    Room,
    RoomAssistant,
    RoomMessage,
    RoomMute,
    RoomOrder,
    RoomProduct,
    RoomTransition,
)
from circlemart.live.selectors import rooms as room_selectors
from circlemart.live.selectors.stats import RoomStats, room_stats
from circlemart.live.services import chat as chat_services
from circlemart.live.services import rooms as room_services

STATS_URL_NAME = "live_room_stats"


def _video_address(value: str) -> str:
    """An http(s) address from the host's media server, or a path on this site (the demo's
    video lives under MEDIA_URL)."""
    value = (value or "").strip()
    if value.startswith("/") and not value.startswith("//"):
        return value
    URLValidator(schemes=["http", "https"])(value)
    return value


class VideoAddressField(forms.CharField):
    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        try:
            return _video_address(text)
        except ValidationError as invalid:
            raise ValidationError(
                _("Give an http or https address, or a path on this site such as /media/…"),
                code="invalid",
            ) from invalid


class RoomForm(forms.ModelForm):  # type: ignore[type-arg]
    video_url = VideoAddressField(label=_("video address"), required=False, max_length=500)
    replay_url = VideoAddressField(label=_("replay address"), required=False, max_length=500)

    class Meta:
        model = Room
        fields = ("title", "description", "cover", "video_url", "replay_url", "scheduled_start")

    def _get_validation_exclusions(self) -> set[str]:
        # The model's URLField would refuse a path on this site: the fields above decide.
        return {*super()._get_validation_exclusions(), "video_url", "replay_url"}  # type: ignore[misc]


class RoomProductInline(TabularInline):
    model = RoomProduct
    extra = 0
    fields = ("position", "product_id", "product_title")
    readonly_fields = ("product_title",)
    ordering = ("position", "id")

    @admin.display(description=_("product"))
    def product_title(self, row: RoomProduct) -> str:
        if row.pk is None:
            return ""
        card = room_selectors.product_card(row.product_id)
        return card.title if card is not None else gettext("(not on sale)")


class RoomAssistantInline(TabularInline):
    model = RoomAssistant
    extra = 0
    fields = ("user",)
    raw_id_fields = ("user",)


class RoomTransitionInline(TabularInline):
    model = RoomTransition
    extra = 0
    fields = ("created_at", "from_state", "to_state", "actor")
    readonly_fields = fields
    can_delete = False
    verbose_name = _("state move")
    verbose_name_plural = _("state moves")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _move_action(
    name: str, service: Callable[..., None], description: Any
) -> Callable[[Any, HttpRequest, QuerySet[Room]], None]:
    def action(model_admin: Any, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        moved = 0
        for room in queryset.order_by("pk"):
            try:
                service(actor_id=request.user.pk, room_id=room.pk)
            except DomainError as error:
                model_admin.message_user(request, f"{room.title}: {error.message}", messages.ERROR)
            else:
                moved += 1
        if moved:
            model_admin.message_user(
                request, gettext("%(count)d rooms moved.") % {"count": moved}, messages.SUCCESS
            )

    action.__name__ = name
    return admin.action(description=description)(action)


@admin.register(Room)
class RoomAdmin(ModelAdmin):
    form = RoomForm
    list_display = (
        "id",
        "title",
        "state",
        "host",
        "scheduled_start",
        "peak_viewers",
        "gmv_shown",
        "stats_link",
    )
    list_display_links = ("id", "title")
    list_filter = ("state", "scheduled_start", "started_at")
    search_fields = ("=id", "title", "host__email", "host__nickname")
    list_select_related = ("host",)
    date_hierarchy = "scheduled_start"
    ordering = ("-scheduled_start",)
    readonly_fields = (
        "host",
        "state",
        "started_at",
        "ended_at",
        "pinned_product",
        "slow_mode_seconds",
        "like_count",
        "peak_viewers",
        "last_sequence",
        "reminder_sent_at",
        "created_at",
        "updated_at",
        "stats_link",
    )
    fieldsets = (
        (None, {"fields": ("title", "host", "description", "cover", "scheduled_start")}),
        (_("Video"), {"fields": ("video_url", "replay_url")}),
        (
            _("On air"),
            {
                "fields": (
                    "state",
                    "started_at",
                    "ended_at",
                    "pinned_product",
                    "slow_mode_seconds",
                    "like_count",
                    "peak_viewers",
                    "last_sequence",
                    "stats_link",
                )
            },
        ),
        (None, {"fields": ("reminder_sent_at", "created_at", "updated_at")}),
    )
    inlines = (RoomProductInline, RoomAssistantInline, RoomTransitionInline)
    actions = ("start_rooms", "pause_rooms", "resume_rooms", "end_rooms", "publish_replays")

    start_rooms = _move_action("start_rooms", room_services.room_start, _("Start (go live)"))
    pause_rooms = _move_action("pause_rooms", room_services.room_pause, _("Pause"))
    resume_rooms = _move_action("resume_rooms", room_services.room_resume, _("Resume"))
    end_rooms = _move_action("end_rooms", room_services.room_end, _("End"))
    publish_replays = _move_action(
        "publish_replays", room_services.room_publish_replay, _("Publish the replay")
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rooms are created on /live/new/, where the services check the host

    def get_queryset(self, request: HttpRequest) -> QuerySet[Room]:
        return super().get_queryset(request).annotate(gmv=Sum("orders__total"))

    @admin.display(description=_("GMV"), ordering="gmv")
    def gmv_shown(self, room: Room) -> str:
        return format_money(int(getattr(room, "gmv", None) or 0), settings.DEFAULT_CURRENCY)

    @admin.display(description=_("product being explained"))
    def pinned_product(self, room: Room) -> str:
        if room.pinned_product_id is None:
            return "—"
        card = room_selectors.product_card(room.pinned_product_id)
        return card.title if card is not None else f"#{room.pinned_product_id}"

    @admin.display(description=_("statistics"))
    def stats_link(self, room: Room) -> SafeString | str:
        if room.pk is None:
            return ""
        url = reverse(f"admin:{STATS_URL_NAME}", args=[room.pk])
        return format_html('<a href="{}" data-testid="room-stats-link">{}</a>', url, _("Stats"))

    def get_urls(self) -> list[URLPattern]:
        stats = path(
            "<int:room_id>/stats/",
            self.admin_site.admin_view(self.stats_view),
            name=STATS_URL_NAME,
        )
        return [stats, *super().get_urls()]

    def stats_view(self, request: HttpRequest, room_id: int) -> HttpResponse:
        room = Room.objects.select_related("host").filter(pk=room_id).first()
        if room is None:
            raise Http404(gettext("Live room not found."))
        if not self.has_view_permission(request, room):
            raise PermissionDenied
        stats = room_stats(room.pk)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": gettext("Statistics: %(title)s") % {"title": room.title},
            "opts": self.model._meta,
            "original": room,
            "stats": stats,
            "cards": _cards(stats),
            "figures": _figures(stats),
            "room_url": room_selectors.room_url(room.pk),
        }
        return TemplateResponse(request, "admin/live/room/stats.html", context)


# --- the statistics page ----------------------------------------------------------------------


def _duration(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return gettext("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return gettext("%(m)d min %(s)02d s") % {"m": minutes, "s": seconds}


def _percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def _cards(stats: RoomStats) -> list[dict[str, str]]:
    """(key, label, value, definition) of each KPI card."""
    rows = [
        (
            "peak",
            _("Peak viewers"),
            str(stats.peak_viewers),
            _("The most viewers watching at one moment."),
        ),
        (
            "unique",
            _("Unique viewers"),
            str(stats.unique_viewers),
            _("Distinct viewers, signed in or not (%(signed)d signed in).")
            % {"signed": stats.signed_in_viewers},
        ),
        (
            "watch",
            _("Average watch time"),
            _duration(stats.watch_seconds_average),
            _("Total watch time %(total)s, over the unique viewers.")
            % {"total": _duration(stats.watch_seconds_total)},
        ),
        (
            "messages",
            _("Chat messages"),
            str(stats.messages),
            _("Messages sent (%(deleted)d deleted by moderators).")
            % {"deleted": stats.deleted_messages},
        ),
        ("likes", _("Likes"), str(stats.likes), _("Taps on the heart, all together.")),
        (
            "claims",
            _("Coupon claims"),
            str(stats.coupon_claims),
            _("Live coupons of this room claimed by viewers."),
        ),
        (
            "orders",
            _("Orders"),
            str(stats.orders),
            _("Paid orders placed in the room (%(buyers)d buyers).") % {"buyers": stats.buyers},
        ),
        (
            "gmv",
            _("GMV"),
            format_money(stats.gmv, stats.currency),
            _("The paid total of those orders."),
        ),
        (
            "buyer-conversion",
            _("Buyer conversion"),
            _percent(stats.buyer_conversion),
            _("Buyers ÷ unique signed-in viewers."),
        ),
        (
            "order-conversion",
            _("Orders per viewer"),
            _percent(stats.order_conversion),
            _("Orders ÷ unique viewers (anonymous included)."),
        ),
    ]
    return [
        {"key": key, "label": str(label), "value": value, "help": str(definition)}
        for key, label, value, definition in rows
    ]


def _count_step(highest: int) -> int:
    """A whole tick step giving about five ticks up to `highest`."""
    return max(1, math.ceil(highest / 5))


def _figures(stats: RoomStats) -> dict[str, Any]:
    """The two per-minute Plotly figures (drawn by analytics' dashboards.js)."""
    zone = timezone.get_current_timezone()
    x = [point.minute.astimezone(zone).strftime("%H:%M") for point in stats.series]
    scale = 10 ** minor_unit_exponent(stats.currency)
    layout: dict[str, Any] = {
        "height": 300,
        "margin": {"l": 48, "r": 48, "t": 8, "b": 40},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "x unified",
        "xaxis": {"type": "category", "gridcolor": "rgba(148,163,184,0.15)"},
        "yaxis": {"rangemode": "tozero", "gridcolor": "rgba(148,163,184,0.25)"},
        "yaxis2": {"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, 'PingFang SC', sans-serif", "size": 12},
    }
    audience: dict[str, Any] = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": gettext("Viewers"),
                "x": x,
                "y": [point.viewers for point in stats.series],
                "line": {"color": "#4f46e5", "width": 3},
                "fill": "tozeroy",
            },
            {
                "type": "bar",
                "name": gettext("Chat messages"),
                "x": x,
                "y": [point.messages for point in stats.series],
                "marker": {"color": "#0ea5e9"},
                "yaxis": "y2",
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": gettext("Likes"),
                "x": x,
                "y": [point.likes for point in stats.series],
                "line": {"color": "#ec4899", "dash": "dot"},
                "yaxis": "y2",
            },
        ],
        "layout": layout,
    }
    sales: dict[str, Any] = {
        "data": [
            {
                "type": "bar",
                "name": gettext("GMV (¥)"),
                "x": x,
                "y": [point.gmv / scale for point in stats.series],
                "marker": {"color": "#10b981"},
                "hovertemplate": "%{x}<br>¥%{y:,.2f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": gettext("Orders"),
                "x": x,
                "y": [point.orders for point in stats.series],
                "line": {"color": "#f59e0b", "width": 2},
                "yaxis": "y2",
            },
        ],
        "layout": {
            **layout,
            "yaxis": {**layout["yaxis"], "tickprefix": "¥", "separatethousands": True},
            "yaxis2": {**layout["yaxis2"], "tickformat": ",d"},
        },
    }
    # Counts on the right axis: whole-number ticks (Plotly would label 0.5 orders "0").
    audience["layout"] = {
        **layout,
        "yaxis2": {
            **layout["yaxis2"],
            "dtick": _count_step(max([0, *(max(p.messages, p.likes) for p in stats.series)])),
        },
    }
    sales["layout"]["yaxis2"]["dtick"] = _count_step(max([0, *(p.orders for p in stats.series)]))
    # A plain-JSON round trip: the template's json_script gets lists and numbers only.
    result: dict[str, Any] = json.loads(json.dumps({"audience": audience, "sales": sales}))
    return result


# --- the log, mutes and orders -------------------------------------------------------------


class _ReadOnly(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoomMessage)
class RoomMessageAdmin(_ReadOnly):
    """The room's log as viewers replay it. Deleting hides a chat message for everyone (a
    `delete` frame); rows are never removed, so sequence numbers stay gap-free."""

    list_display = ("room", "sequence", "kind", "user", "excerpt", "created_at", "is_deleted")
    list_filter = ("kind", "is_deleted", "created_at")
    search_fields = ("=room__id", "room__title", "user__email", "user__nickname")
    list_select_related = ("room", "user")
    ordering = ("-room_id", "-sequence")
    readonly_fields = ("room", "sequence", "kind", "user", "payload", "is_deleted", "created_at")
    actions = ("delete_messages",)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("message"))
    def excerpt(self, message: RoomMessage) -> str:
        payload = message.payload if isinstance(message.payload, dict) else {}
        text = payload.get("text") or json.dumps(payload, ensure_ascii=False)
        return Truncator(str(text)).chars(80)

    @admin.action(description=_("Delete the selected chat messages (viewers see them vanish)"))
    def delete_messages(self, request: HttpRequest, queryset: QuerySet[RoomMessage]) -> None:
        deleted = 0
        for message in queryset.filter(kind="chat", is_deleted=False).order_by("pk"):
            try:
                frame = chat_services.chat_delete(
                    actor_id=request.user.pk, room_id=message.room_id, seq=message.sequence
                )
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
            else:
                deleted += frame is not None
        self.message_user(
            request, gettext("%(count)d messages deleted.") % {"count": deleted}, messages.SUCCESS
        )


@admin.register(RoomMute)
class RoomMuteAdmin(_ReadOnly):
    """Who is muted or sent out, by whom and why. Lifting goes through the chat service."""

    list_display = ("room", "user", "muted_by", "reason", "is_kicked", "until", "created_at")
    list_filter = ("is_kicked", "created_at")
    search_fields = ("=room__id", "room__title", "user__email", "user__nickname")
    list_select_related = ("room", "user", "muted_by")
    readonly_fields = ("room", "user", "muted_by", "reason", "is_kicked", "until", "created_at")
    actions = ("unmute",)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Lift the selected mutes"))
    def unmute(self, request: HttpRequest, queryset: QuerySet[RoomMute]) -> None:
        lifted = 0
        for mute in queryset.order_by("pk"):
            try:
                lifted += chat_services.user_unmute(
                    actor_id=request.user.pk, room_id=mute.room_id, user_id=mute.user_id
                )
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
        self.message_user(
            request, gettext("%(count)d mutes lifted.") % {"count": lifted}, messages.SUCCESS
        )


@admin.register(RoomOrder)
class RoomOrderAdmin(_ReadOnly):
    """Paid orders attributed to a room (`live:<room id>`): what its GMV adds up."""

    list_display = ("order_link", "room", "buyer_id", "total_shown", "paid_at")
    total_shown = money_display("total", _("total"))
    list_filter = ("paid_at",)
    search_fields = ("order_number", "=room__id", "room__title", "=buyer_id")
    list_select_related = ("room",)
    ordering = ("-paid_at",)

    @admin.display(description=_("order"), ordering="order_number")
    def order_link(self, row: RoomOrder) -> SafeString:
        url = reverse("admin:orders_order_changelist") + f"?q={row.order_number}"
        return format_html('<a href="{}">{}</a>', url, row.order_number)
