"""Live rooms: the room and its moves, its products and helpers, the sequenced message log that
viewers replay from, moderation of its chat, its viewers' sessions and the orders placed in it."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RoomState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")
    REPLAY = "replay", _("Replay")


class Room(models.Model):
    host = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="live_rooms", verbose_name=_("host")
    )
    title = models.CharField(_("title"), max_length=80)
    description = models.TextField(_("description"), blank=True, default="")
    cover = models.ImageField(_("cover"), upload_to="live/covers/", blank=True, default="")
    # Any HLS (.m3u8) or MP4/WebM address the host's media server gives; replay may differ.
    video_url = models.URLField(_("video address"), max_length=500, blank=True, default="")
    replay_url = models.URLField(_("replay address"), max_length=500, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=10, choices=RoomState.choices, default=RoomState.SCHEDULED
    )
    scheduled_start = models.DateTimeField(_("starts at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The last sequence number given to a message of this room (allocated by conditional UPDATE).
    last_sequence = models.BigIntegerField(default=0, editable=False)
    pinned_product_id = models.BigIntegerField(_("product being explained"), null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True, editable=False)
    slow_mode_seconds = models.PositiveSmallIntegerField(_("slow mode (seconds)"), default=0)
    like_count = models.BigIntegerField(_("likes"), default=0, editable=False)
    peak_viewers = models.PositiveIntegerField(_("peak viewers"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("live room")
        verbose_name_plural = _("live rooms")
        indexes = [
            models.Index(fields=["state", "scheduled_start"], name="live_room_state_start"),
            models.Index(fields=["host", "-scheduled_start"], name="live_room_host_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RoomState.values), name="live_room_state_known"
            ),
            models.CheckConstraint(condition=Q(last_sequence__gte=0), name="live_room_sequence"),
            models.CheckConstraint(condition=Q(like_count__gte=0), name="live_room_likes"),
        ]

    def __str__(self) -> str:
        return self.title


class RoomTransition(models.Model):
    """Every move of a room's state, with who made it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=10, choices=RoomState.choices)
    to_state = models.CharField(max_length=10, choices=RoomState.choices)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("state move")
        verbose_name_plural = _("state moves")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.room_id}: {self.from_state} → {self.to_state}"


class RoomProduct(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="products")
    product_id = models.BigIntegerField(_("product"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("room product")
        verbose_name_plural = _("room products")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["room", "product_id"], name="live_room_product_once")
        ]

    def __str__(self) -> str:
        return f"{self.room_id}: product {self.product_id}"


class RoomAssistant(models.Model):
    """A user who moderates the room beside its host (mute, kick, delete, announce)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="assistants")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("assistant")
        verbose_name_plural = _("assistants")
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="live_room_assistant_once")
        ]

    def __str__(self) -> str:
        return f"{self.room_id}: assistant {self.user_id}"


class MessageKind(models.TextChoices):
    CHAT = "chat", _("Chat")
    LIKES = "likes", _("Likes")
    PIN = "pin", _("Pinned product")
    COUPON = "coupon", _("Coupon drop")
    FLASH = "flash", _("Flash deal")
    ANNOUNCEMENT = "announcement", _("Announcement")
    STATE = "state", _("State")
    DELETE = "delete", _("Deleted message")
    MUTE = "mute", _("Mute")
    ORDER = "order", _("Order")
    SLOW_MODE = "slow_mode", _("Slow mode")


class RoomMessage(models.Model):
    """The room's log: every broadcast message, numbered per room, replayed on reconnect."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    sequence = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=MessageKind.choices)
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(default=dict)
    is_deleted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("room message")
        verbose_name_plural = _("room messages")
        ordering = ["room", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["room", "sequence"], name="live_message_sequence_once"),
            models.CheckConstraint(condition=Q(sequence__gt=0), name="live_message_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.sequence} {self.kind}"


class RoomMute(models.Model):
    """A viewer silenced (or sent out) by the host or an assistant, with the reason they see."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    muted_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=120, blank=True, default="")
    is_kicked = models.BooleanField(_("sent out of the room"), default=False)
    until = models.DateTimeField(_("until"), null=True, blank=True)  # empty: the whole room
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mute")
        verbose_name_plural = _("mutes")
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="live_mute_once")]

    def __str__(self) -> str:
        return f"{self.room_id}: muted {self.user_id}"


class RoomCoupon(models.Model):
    """A live-only coupon dropped in the room: a non-public coupon template with its own stock."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="coupons")
    coupon_template_id = models.BigIntegerField(_("coupon template"))
    dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("live coupon")
        verbose_name_plural = _("live coupons")
        constraints = [
            models.UniqueConstraint(
                fields=["room", "coupon_template_id"], name="live_room_coupon_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.room_id}: coupon {self.coupon_template_id}"


class ViewerSession(models.Model):
    """One connection of one viewer (signed in or anonymous): presence, uniques, watch time."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="viewer_sessions")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visitor_key = models.CharField(max_length=64)  # user id, or the anonymous session's digest
    joined_at = models.DateTimeField(db_index=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("viewer session")
        verbose_name_plural = _("viewer sessions")
        indexes = [models.Index(fields=["room", "joined_at"], name="live_session_room_joined")]

    def __str__(self) -> str:
        return f"{self.room_id}: {self.visitor_key}"


class RoomOrder(models.Model):
    """An order whose source is this room (attribution `live:<room id>`), once paid."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="orders")
    order_number = models.CharField(max_length=32, unique=True)
    buyer_id = models.BigIntegerField()
    total = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("room order")
        verbose_name_plural = _("room orders")
        constraints = [models.CheckConstraint(condition=Q(total__gte=0), name="live_order_total")]

    def __str__(self) -> str:
        return f"{self.room_id}: {self.order_number}"
