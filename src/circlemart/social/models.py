"""Tables of the social context: the follow graph and blocks, notes and what hangs off them
(images, revisions, comments, likes, favourites, shares), circles and topics."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Follow(models.Model):
    follower = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="following_edges"
    )
    followee = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="follower_edges"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="no_self_follow"),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"], name="followers_newest")]

    def __str__(self) -> str:
        return f"{self.follower_id} → {self.followee_id}"


class GraphCounter(models.Model):
    """Exact follower / following / friend counts of one user.

    Changed only by conditional F() updates in the transaction that adds or removes the edge,
    after both users' rows are locked in id order (see locks.py), so counts never drift.
    """

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    followers = models.PositiveIntegerField(default=0)
    following = models.PositiveIntegerField(default=0)
    friends = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("graph counter")
        verbose_name_plural = _("graph counters")
        indexes = [models.Index(fields=["-followers"], name="counter_most_followed")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.followers}/{self.following}/{self.friends}"


class Block(models.Model):
    blocker = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    blocked = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="no_self_block"),
        ]
        indexes = [models.Index(fields=["blocked"], name="blocked_by")]

    def __str__(self) -> str:
        return f"{self.blocker_id} ⊘ {self.blocked_id}"


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    FOLLOWERS = "followers", _("Followers")
    FRIENDS = "friends", _("Friends")
    CIRCLE = "circle", _("Circle members")


class ModerationState(models.TextChoices):
    VISIBLE = "visible", _("Visible")
    IN_REVIEW = "in_review", _("In review")
    REJECTED = "rejected", _("Rejected")


class Circle(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    rules = models.TextField(_("rules"), blank=True, default="")
    cover = models.ImageField(_("cover"), upload_to="circles/%Y/%m/", blank=True)
    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    member_count = models.PositiveIntegerField(default=0)
    note_count = models.PositiveIntegerField(default=0)
    moderation_state = models.CharField(
        max_length=12, choices=ModerationState.choices, default=ModerationState.VISIBLE
    )
    moderation_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("circle")
        verbose_name_plural = _("circles")
        indexes = [models.Index(fields=["-member_count", "-id"], name="circle_popular")]

    def __str__(self) -> str:
        return self.name


class CircleMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("circle member")
        verbose_name_plural = _("circle members")
        constraints = [models.UniqueConstraint(fields=["circle", "user"], name="member_once")]
        indexes = [models.Index(fields=["user"], name="circles_of_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.circle_id}"


class Topic(models.Model):
    """A #hashtag. `name` is the normalised form (casefolded), `label` as first written."""

    name = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=40)
    note_count = models.PositiveIntegerField(default=0)
    follower_count = models.PositiveIntegerField(default=0)
    trending_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [models.Index(fields=["-trending_score", "-id"], name="topic_trending")]

    def __str__(self) -> str:
        return f"#{self.label}"


class TopicFollow(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("topic follow")
        verbose_name_plural = _("topic follows")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="topic_follow_once")]

    def __str__(self) -> str:
        return f"{self.user_id} → #{self.topic_id}"


class Note(models.Model):
    """A post (笔记). A repost is a note whose `repost_of` is the original."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        DELETED = "deleted", _("Deleted")

    author = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=60, blank=True, default="")
    text = models.TextField(_("text"), blank=True, default="")
    video_url = models.URLField(_("video URL"), max_length=500, blank=True, default="")
    location = models.CharField(_("location"), max_length=60, blank=True, default="")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default="public")
    circle = models.ForeignKey(
        Circle, on_delete=models.CASCADE, null=True, blank=True, related_name="notes"
    )
    repost_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reposts"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    moderation_state = models.CharField(
        max_length=12, choices=ModerationState.choices, default=ModerationState.VISIBLE
    )
    moderation_reason = models.CharField(max_length=300, blank=True, default="")
    products = models.ManyToManyField("catalog.Product", through="NoteProduct", related_name="+")
    topics = models.ManyToManyField(Topic, through="NoteTopic", related_name="notes")
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    favourite_count = models.PositiveIntegerField(default=0)
    share_count = models.PositiveIntegerField(default=0)
    # Time-decayed popularity (log of engagement + publish time / 12.5 h) for the discover feed.
    hot_score = models.FloatField(default=0.0)
    pinned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # First time the note was both published and visible: NotePublished goes out once.
    went_live_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility="circle", circle__isnull=False) | ~Q(visibility="circle"),
                name="circle_note_has_circle",
            )
        ]
        indexes = [
            models.Index(fields=["author", "-published_at", "-id"], name="note_author_feed"),
            models.Index(fields=["-published_at", "-id"], name="note_newest"),
            models.Index(fields=["-hot_score", "-id"], name="note_hot"),
            models.Index(fields=["circle", "-published_at", "-id"], name="note_circle_feed"),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:40]


class NoteProduct(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="product_tags")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "product"], name="tag_once")]
        indexes = [models.Index(fields=["product", "-note"], name="notes_of_product")]

    def __str__(self) -> str:
        return f"{self.note_id} 🛍 {self.product_id}"


class NoteTopic(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="topic_links")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "topic"], name="topic_once")]
        indexes = [models.Index(fields=["topic", "-note"], name="notes_of_topic")]

    def __str__(self) -> str:
        return f"{self.note_id} # {self.topic_id}"


class NoteMention(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="mention_once")]

    def __str__(self) -> str:
        return f"{self.note_id} @ {self.user_id}"


def note_image_path(instance: Any, filename: str) -> str:
    return f"notes/{instance.note_id or 'new'}/{uuid.uuid4().hex}.webp"


class NoteImage(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    image = models.ImageField(upload_to=note_image_path)
    thumbnail = models.ImageField(upload_to=note_image_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.note_id} image {self.position}"


class NoteRevision(models.Model):
    """The note as it was before an edit (edit history)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=60, blank=True, default="")
    text = models.TextField(blank=True, default="")
    edited_by = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="revision_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.note_id} v{self.number}"


class Comment(models.Model):
    """A comment on a note; a reply has a top-level `parent` (one level of replies)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    text = models.CharField(max_length=1000)
    like_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    moderation_state = models.CharField(
        max_length=12, choices=ModerationState.choices, default=ModerationState.VISIBLE
    )
    moderation_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    went_live_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["note", "parent", "id"], name="comments_of_note")]

    def __str__(self) -> str:
        return self.text[:40]


class NoteLike(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="note_like_once")]
        indexes = [models.Index(fields=["user", "-id"], name="likes_of_user")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.note_id}"


class CommentLike(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="comment_like_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ comment {self.comment_id}"


class FavouriteFolder(models.Model):
    """收藏夹: a user's named folder of favourite notes."""

    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=30)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="folder_name_once"),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(is_default=True), name="one_default_folder"
            ),
        ]

    def __str__(self) -> str:
        return self.name or "default"


class Favourite(models.Model):
    """One user's favourite of one note (in exactly one of their folders)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="favourites")
    folder = models.ForeignKey(FavouriteFolder, on_delete=models.CASCADE, related_name="items")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "note"], name="favourite_once")]
        indexes = [models.Index(fields=["folder", "-id"], name="favourites_in_folder")]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.note_id}"


class ShareVisit(models.Model):
    """Someone opened a share link: who shared, who came (if signed in), when."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    sharer = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, default="link")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["sharer", "-at"], name="visits_by_sharer"),
            models.Index(fields=["visitor", "-at"], name="visits_of_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.sharer_id} → {self.visitor_id} ({self.note_id})"
