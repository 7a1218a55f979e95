"""Writes around a note: comments and replies, likes, favourites (folders), shares, reposts.

Likes and favourites are idempotent (a unique row per user and target; the counter moves
only when the row was really inserted or deleted, by a conditional F() update in the same
transaction), so counters stay exact under any number of concurrent clicks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.core import clock, ratelimit
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.events import publish
from circlemart.core.text import clean_plain_text
from circlemart.social import errors
from circlemart.social.contracts import ShareLink, ShareToken
from circlemart.social.events import (
    CommentLiked,
    CommentPosted,
    NoteFavourited,
    NoteLiked,
    NoteShared,
)
from circlemart.social.models import (
    Comment,
    CommentLike,
    Favourite,
    FavouriteFolder,
    ModerationState,
    Note,
    NoteLike,
    ShareVisit,
)
from circlemart.social.selectors.visibility import note_visible_to
from circlemart.social.services.hotness import counter_bump, hot_score, note_hot_score_refresh
from circlemart.social.services.screening import screen, submit_for_review
from circlemart.social.text import parse_mentions

COMMENT_MAX = 500
FOLDER_NAME_MAX = 30
MAX_FOLDERS = 50
SHARE_SALT = "circlemart.social.share"
SHARE_CHANNELS = ("link", "poster", "repost")


def _visible_note(*, note_id: int, viewer_id: int) -> Note:
    note = note_visible_to(note_id=note_id, viewer_id=viewer_id)
    if note is None or note.moderation_state != ModerationState.VISIBLE:
        raise NotFound(_("Note not found."), field="note_id")
    return note


# --- Comments --------------------------------------------------------------------------------


def comment_create(
    *, author_id: int, note_id: int, text: str, parent_id: int | None = None
) -> Comment:
    """Comment on a note the author can see, or reply to a comment (one level: a reply to a
    reply joins the same thread)."""
    cleaned = clean_plain_text(
        text, field="text", min_length=1, max_length=COMMENT_MAX, multiline=True
    )
    note = _visible_note(note_id=note_id, viewer_id=author_id)
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.filter(
                pk=parent_id,
                note_id=note.pk,
                deleted_at__isnull=True,
                moderation_state=ModerationState.VISIBLE,
            )
            .select_related("parent")
            .first()
        )
        if parent is None:
            raise NotFound(_("Comment not found."), field="parent_id")
        if parent.parent is not None:
            parent = parent.parent
    screened = screen({"text": cleaned})
    ratelimit.hit(
        f"social:comment:{author_id}",
        limit=settings.SOCIAL_COMMENT_RATE_PER_MINUTE,
        window=60,
        field="text",
    )
    with transaction.atomic():
        comment = Comment.objects.create(
            note=note,
            author_id=author_id,
            parent=parent,
            text=screened.texts["text"],
            moderation_state=(
                ModerationState.IN_REVIEW if screened.needs_review else ModerationState.VISIBLE
            ),
        )
        if screened.needs_review:
            submit_for_review(
                content_type="comment",
                content_id=comment.pk,
                author_id=author_id,
                excerpt=comment.text,
                reason=screened.reason,
            )
        else:
            comment_go_live(comment)
    return comment


def comment_go_live(comment: Comment) -> None:
    """Count and announce a comment the first time it is visible."""
    updated = Comment.objects.filter(pk=comment.pk, went_live_at__isnull=True).update(
        went_live_at=clock.now()
    )
    if not updated:
        return
    counter_bump(comment.note_id, "comment_count", 1)
    if comment.parent_id:
        Comment.objects.filter(pk=comment.parent_id).update(reply_count=F("reply_count") + 1)
    note_hot_score_refresh(comment.note_id)
    note_author_id = Note.objects.filter(pk=comment.note_id).values_list("author_id", flat=True)[0]
    parent_author_id = (
        Comment.objects.filter(pk=comment.parent_id).values_list("author_id", flat=True).first()
        if comment.parent_id
        else None
    )
    from circlemart.social.services.notes import _user_ids_for_handles

    mentioned = [
        user_id
        for user_id in _user_ids_for_handles(parse_mentions(comment.text))
        if user_id != comment.author_id
    ]
    publish(
        CommentPosted(
            comment_id=comment.pk,
            note_id=comment.note_id,
            note_author_id=note_author_id,
            actor_id=comment.author_id,
            parent_comment_id=comment.parent_id,
            parent_author_id=parent_author_id,
            mentioned_user_ids=mentioned,
        )
    )


def comment_delete(*, actor_id: int, comment_id: int) -> None:
    """The comment's author or the note's author removes a comment (soft delete)."""
    with transaction.atomic():
        comment = (
            Comment.objects.select_for_update()
            .filter(pk=comment_id, deleted_at__isnull=True)
            .select_related("note")
            .first()
        )
        if comment is None or actor_id not in {comment.author_id, comment.note.author_id}:
            raise NotFound(_("Comment not found."), field="comment_id")
        _comment_hide(comment)
        comment.deleted_at = clock.now()
        comment.save(update_fields=["deleted_at"])


def _comment_hide(comment: Comment) -> None:
    """Undo the counts of a live comment that stops being visible."""
    if comment.went_live_at is None or comment.deleted_at is not None:
        return
    if comment.moderation_state != ModerationState.VISIBLE:
        return
    counter_bump(comment.note_id, "comment_count", -1)
    if comment.parent_id:
        Comment.objects.filter(pk=comment.parent_id, reply_count__gt=0).update(
            reply_count=F("reply_count") - 1
        )
    note_hot_score_refresh(comment.note_id)


def comment_moderation_decided(*, comment_id: int, approved: bool, reason: str = "") -> None:
    with transaction.atomic():
        comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
        if comment is None:
            return
        if not approved:
            _comment_hide(comment)
        comment.moderation_state = ModerationState.VISIBLE if approved else ModerationState.REJECTED
        comment.moderation_reason = "" if approved else reason[:300]
        comment.save(update_fields=["moderation_state", "moderation_reason"])
        if approved and comment.deleted_at is None:
            comment_go_live(comment)


# --- Likes -----------------------------------------------------------------------------------


def note_like(*, user_id: int, note_id: int) -> bool:
    """Like a note; True if this added the like, False if it was already liked."""
    note = _visible_note(note_id=note_id, viewer_id=user_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                NoteLike.objects.create(note_id=note.pk, user_id=user_id)
        except IntegrityError:
            return False
        counter_bump(note.pk, "like_count", 1)
        note_hot_score_refresh(note.pk)
        publish(NoteLiked(note_id=note.pk, note_author_id=note.author_id, actor_id=user_id))
    return True


def note_unlike(*, user_id: int, note_id: int) -> bool:
    with transaction.atomic():
        deleted, _ = NoteLike.objects.filter(note_id=note_id, user_id=user_id).delete()
        if deleted:
            counter_bump(note_id, "like_count", -1)
            note_hot_score_refresh(note_id)
    return deleted > 0


def _visible_comment(*, comment_id: int, viewer_id: int) -> Comment:
    comment = (
        Comment.objects.filter(
            pk=comment_id, deleted_at__isnull=True, moderation_state=ModerationState.VISIBLE
        )
        .only("id", "note_id", "author_id")
        .first()
    )
    if comment is None:
        raise NotFound(_("Comment not found."), field="comment_id")
    _visible_note(note_id=comment.note_id, viewer_id=viewer_id)
    return comment


def comment_like(*, user_id: int, comment_id: int) -> bool:
    comment = _visible_comment(comment_id=comment_id, viewer_id=user_id)
    with transaction.atomic():
        try:
            with transaction.atomic():
                CommentLike.objects.create(comment_id=comment.pk, user_id=user_id)
        except IntegrityError:
            return False
        Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
        publish(
            CommentLiked(
                comment_id=comment.pk,
                comment_author_id=comment.author_id,
                note_id=comment.note_id,
                actor_id=user_id,
            )
        )
    return True


def comment_unlike(*, user_id: int, comment_id: int) -> bool:
    with transaction.atomic():
        deleted, _ = CommentLike.objects.filter(comment_id=comment_id, user_id=user_id).delete()
        if deleted:
            Comment.objects.filter(pk=comment_id, like_count__gt=0).update(
                like_count=F("like_count") - 1
            )
    return deleted > 0


# --- Favourites (收藏夹) -----------------------------------------------------------------------


def folder_create(*, owner_id: int, name: str) -> FavouriteFolder:
    cleaned = clean_plain_text(name, field="name", min_length=1, max_length=FOLDER_NAME_MAX)
    cleaned = screen({"name": cleaned}).texts["name"]
    if FavouriteFolder.objects.filter(owner_id=owner_id).count() >= MAX_FOLDERS:
        raise ValidationFailed(
            _("You can have at most %(count)d folders.") % {"count": MAX_FOLDERS},
            code="too_many_folders",
            field="name",
        )
    try:
        with transaction.atomic():
            return FavouriteFolder.objects.create(owner_id=owner_id, name=cleaned)
    except IntegrityError as exc:
        raise Conflict(
            _("You already have a folder with this name."), code=errors.NAME_TAKEN, field="name"
        ) from exc


def _default_folder(owner_id: int) -> FavouriteFolder:
    folder = FavouriteFolder.objects.filter(owner_id=owner_id, is_default=True).first()
    if folder is not None:
        return folder
    try:
        with transaction.atomic():
            # The name is shown translated by the pages; this one is the stored key.
            return FavouriteFolder.objects.create(owner_id=owner_id, name="", is_default=True)
    except IntegrityError:  # created by a concurrent first favourite
        return FavouriteFolder.objects.get(owner_id=owner_id, is_default=True)


def favourite_add(*, user_id: int, note_id: int, folder_id: int | None = None) -> bool:
    """Favourite a note into a folder (the default one if none); favouriting it again moves
    it to the given folder. True if this created the favourite."""
    note = _visible_note(note_id=note_id, viewer_id=user_id)
    if folder_id is None:
        folder = _default_folder(user_id)
    else:
        found = FavouriteFolder.objects.filter(pk=folder_id, owner_id=user_id).first()
        if found is None:
            raise NotFound(_("Folder not found."), field="folder_id")
        folder = found
    with transaction.atomic():
        try:
            with transaction.atomic():
                Favourite.objects.create(user_id=user_id, note_id=note.pk, folder=folder)
        except IntegrityError:
            Favourite.objects.filter(user_id=user_id, note_id=note.pk).update(folder=folder)
            return False
        counter_bump(note.pk, "favourite_count", 1)
        note_hot_score_refresh(note.pk)
        publish(NoteFavourited(note_id=note.pk, note_author_id=note.author_id, actor_id=user_id))
    return True


def favourite_remove(*, user_id: int, note_id: int) -> bool:
    with transaction.atomic():
        deleted, _ = Favourite.objects.filter(user_id=user_id, note_id=note_id).delete()
        if deleted:
            counter_bump(note_id, "favourite_count", -1)
            note_hot_score_refresh(note_id)
    return deleted > 0


def folder_delete(*, owner_id: int, folder_id: int) -> None:
    """Delete a folder and the favourites in it (the default folder stays)."""
    with transaction.atomic():
        folder = FavouriteFolder.objects.filter(
            pk=folder_id, owner_id=owner_id, is_default=False
        ).first()
        if folder is None:
            raise NotFound(_("Folder not found."), field="folder_id")
        for note_id in list(folder.items.values_list("note_id", flat=True)):
            favourite_remove(user_id=owner_id, note_id=note_id)
        folder.delete()


# --- Shares and reposts ----------------------------------------------------------------------


def share_token_encode(*, note_id: int, sharer_id: int, channel: str) -> str:
    payload = {"n": note_id, "u": sharer_id, "c": channel, "t": int(clock.now().timestamp())}
    return signing.dumps(payload, salt=SHARE_SALT, compress=True)


def share_token_decode(token: str) -> ShareToken | None:
    """The note and sharer a token names, or None when forged, damaged or expired."""
    max_age = settings.SOCIAL_SHARE_MAX_AGE_DAYS * 86400
    try:
        value = signing.loads(token, salt=SHARE_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    note_id, sharer_id, channel, issued = (value.get(key) for key in ("n", "u", "c", "t"))
    if not all(isinstance(item, int) for item in (note_id, sharer_id, issued)):
        return None
    assert isinstance(note_id, int)
    assert isinstance(sharer_id, int)
    assert isinstance(issued, int)
    return ShareToken(
        note_id=note_id,
        sharer_id=sharer_id,
        channel=str(channel or "link"),
        issued_at=datetime.fromtimestamp(issued, tz=UTC),
    )


def share_link_create(*, sharer_id: int, note_id: int, channel: str = "link") -> ShareLink:
    """A link (or poster) that carries the sharer's id, for attribution of what follows."""
    if channel not in SHARE_CHANNELS or channel == "repost":
        raise ValidationFailed(_("Unknown share channel."), code="invalid", field="channel")
    note = _visible_note(note_id=note_id, viewer_id=sharer_id)
    with transaction.atomic():
        counter_bump(note.pk, "share_count", 1)
        note_hot_score_refresh(note.pk)
        publish(NoteShared(note_id=note.pk, sharer_id=sharer_id, channel=channel))
    token = share_token_encode(note_id=note.pk, sharer_id=sharer_id, channel=channel)
    return ShareLink(token=token, path=f"/notes/{note.pk}/?s={token}")


def share_visit_record(*, token: str, note_id: int, visitor_id: int | None) -> ShareToken | None:
    """Someone opened a share link: record the visit (not the sharer's own) for attribution."""
    decoded = share_token_decode(token)
    if decoded is None or decoded.note_id != note_id or decoded.sharer_id == visitor_id:
        return None
    ShareVisit.objects.create(
        note_id=note_id, sharer_id=decoded.sharer_id, visitor_id=visitor_id, channel=decoded.channel
    )
    return decoded


def note_repost(*, user_id: int, note_id: int, text: str = "") -> Note:
    """Repost a public note to one's followers: a new note that references the original."""
    original = _visible_note(note_id=note_id, viewer_id=user_id)
    if original.visibility != "public" or original.status != Note.Status.PUBLISHED:
        raise ValidationFailed(
            _("Only public notes can be reposted."), code=errors.NOT_REPOSTABLE, field="note_id"
        )
    if original.repost_of_id:
        original = Note.objects.get(pk=original.repost_of_id)
    if original.author_id == user_id:
        raise ValidationFailed(
            _("You cannot repost your own note."), code=errors.NOT_REPOSTABLE, field="note_id"
        )
    comment = clean_plain_text(text, field="text", max_length=COMMENT_MAX, multiline=True)
    screened = screen({"text": comment})
    ratelimit.hit(
        f"social:note:{user_id}",
        limit=settings.SOCIAL_NOTE_RATE_PER_HOUR,
        window=3600,
        field="text",
    )
    now = clock.now()
    with transaction.atomic():
        repost = Note.objects.create(
            author_id=user_id,
            text=screened.texts["text"],
            repost_of=original,
            visibility="public",
            status=Note.Status.PUBLISHED,
            published_at=now,
            moderation_state=(
                ModerationState.IN_REVIEW if screened.needs_review else ModerationState.VISIBLE
            ),
            hot_score=hot_score(engagement=0, published_at=now),
        )
        counter_bump(original.pk, "share_count", 1)
        note_hot_score_refresh(original.pk)
        publish(NoteShared(note_id=original.pk, sharer_id=user_id, channel="repost"))
        if screened.needs_review:
            submit_for_review(
                content_type="note",
                content_id=repost.pk,
                author_id=user_id,
                excerpt=repost.text,
                reason=screened.reason,
            )
        from circlemart.social.services.notes import note_go_live_if_ready

        note_go_live_if_ready(repost)
    return repost
