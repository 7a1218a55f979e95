"""Reads of notes, comments and favourites, scoped to what the viewer may see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts.contracts import UserCard
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.pagination import CursorPage, encode_cursor, paginate
from circlemart.social.contracts import (
    CommentView,
    FeedPage,
    FolderView,
    NoteCard,
    NoteDetail,
    NoteImageView,
    RevisionView,
)
from circlemart.social.models import (
    Comment,
    CommentLike,
    Favourite,
    FavouriteFolder,
    ModerationState,
    Note,
    NoteImage,
    NoteLike,
    NoteMention,
    NoteProduct,
    NoteTopic,
)
from circlemart.social.selectors.visibility import blocked_either_way, visible_notes

EXCERPT_LENGTH = 120
FEED_ORDER = ("-published_at", "-id")


def excerpt_of(text: str) -> str:
    """A card's excerpt: whitespace collapsed, at most EXCERPT_LENGTH characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_LENGTH else flat[: EXCERPT_LENGTH - 1] + "…"


def _images_by_note(note_ids: list[int]) -> dict[int, list[tuple[str, str, int, int]]]:
    found: dict[int, list[tuple[str, str, int, int]]] = defaultdict(list)
    rows = (
        NoteImage.objects.filter(note_id__in=note_ids)
        .order_by("note_id", "position", "id")
        .values_list("note_id", "image", "thumbnail", "width", "height")
    )
    storage = NoteImage._meta.get_field("image").storage
    for note_id, image, thumbnail, width, height in rows:
        found[note_id].append((storage.url(image), storage.url(thumbnail), width, height))
    return found


def note_cards(notes: list[Note], *, viewer_id: int | None) -> list[NoteCard]:
    """Cards in the given order: three queries whatever the number of notes."""
    if not notes:
        return []
    ids = [note.pk for note in notes]
    originals = {note.repost_of_id for note in notes if note.repost_of_id}
    images = _images_by_note(ids + list(originals))
    authors = account_selectors.user_cards(list({note.author_id for note in notes}))
    liked: set[int] = set()
    if viewer_id is not None:
        liked = set(
            NoteLike.objects.filter(user_id=viewer_id, note_id__in=ids).values_list(
                "note_id", flat=True
            )
        )
    cards = []
    for note in notes:
        author = authors.get(note.author_id)
        if author is None:
            continue
        pictures = images.get(note.pk) or images.get(note.repost_of_id or 0) or []
        cards.append(
            NoteCard(
                id=note.pk,
                author=author,
                title=note.title,
                excerpt=excerpt_of(note.text),
                cover_url=pictures[0][1] if pictures else "",
                image_count=len(pictures),
                like_count=note.like_count,
                comment_count=note.comment_count,
                visibility=note.visibility,
                status=note.status,
                moderation_state=note.moderation_state,
                published_at=note.published_at,
                is_repost=note.repost_of_id is not None,
                repost_of_id=note.repost_of_id,
                circle_id=note.circle_id,
                is_pinned=note.pinned_at is not None,
                liked_by_me=note.pk in liked,
                cover_width=pictures[0][2] if pictures else 0,
                cover_height=pictures[0][3] if pictures else 0,
            )
        )
    return cards


def feed_page(
    query: QuerySet[Note],
    *,
    viewer_id: int | None,
    cursor: str | None,
    limit: int,
    ordering: tuple[str, ...] = FEED_ORDER,
) -> FeedPage:
    page: CursorPage[Note] = paginate(query, ordering=ordering, cursor=cursor, limit=limit)
    return FeedPage(items=note_cards(page.items, viewer_id=viewer_id), next_cursor=page.next_cursor)


def feed_cursor(note: Note) -> str:
    return encode_cursor([note.published_at, note.pk])


def note_detail(*, note_id: int, viewer_id: int | None) -> NoteDetail | None:
    """The note if the viewer may see it (authors see their own drafts and hidden notes)."""
    query = visible_notes(viewer_id).filter(pk=note_id)
    note = query.first()
    if note is None and viewer_id is not None:
        note = Note.objects.filter(
            pk=note_id, author_id=viewer_id, status=Note.Status.DRAFT
        ).first()
    if note is None:
        return None
    is_mine = note.author_id == viewer_id
    author = account_selectors.user_cards([note.author_id]).get(note.author_id)
    if author is None:
        return None
    images = [
        NoteImageView(url=url, thumbnail_url=thumb, width=width, height=height)
        for url, thumb, width, height in _images_by_note([note.pk]).get(note.pk, [])
    ]
    product_ids = list(
        NoteProduct.objects.filter(note=note)
        .order_by("position")
        .values_list("product_id", flat=True)
    )
    mention_ids = list(NoteMention.objects.filter(note=note).values_list("user_id", flat=True))
    mention_cards = account_selectors.user_cards(mention_ids)
    repost_of = None
    if note.repost_of_id:
        original = visible_notes(viewer_id).filter(pk=note.repost_of_id).first()
        if original is not None:
            cards = note_cards([original], viewer_id=viewer_id)
            repost_of = cards[0] if cards else None
    return NoteDetail(
        id=note.pk,
        author=author,
        title=note.title,
        text=note.text,
        images=images,
        video_url=note.video_url,
        location=note.location,
        visibility=note.visibility,
        circle_id=note.circle_id,
        status=note.status,
        moderation_state=note.moderation_state,
        moderation_reason=note.moderation_reason if is_mine else "",
        products=catalog_selectors.product_cards(product_ids),
        topics=list(
            NoteTopic.objects.filter(note=note)
            .order_by("id")
            .values_list("topic__label", flat=True)
        ),
        mentions=[mention_cards[user_id] for user_id in mention_ids if user_id in mention_cards],
        like_count=note.like_count,
        comment_count=note.comment_count,
        favourite_count=note.favourite_count,
        share_count=note.share_count,
        created_at=note.created_at,
        published_at=note.published_at,
        edited_at=note.edited_at,
        revision_count=note.revisions.count(),
        repost_of=repost_of,
        is_mine=is_mine,
        liked_by_me=viewer_id is not None
        and NoteLike.objects.filter(note=note, user_id=viewer_id).exists(),
        favourited_by_me=viewer_id is not None
        and Favourite.objects.filter(note=note, user_id=viewer_id).exists(),
    )


def note_revisions(*, note_id: int, viewer_id: int | None) -> list[RevisionView] | None:
    if visible_notes(viewer_id).filter(pk=note_id).first() is None:
        return None
    return [
        RevisionView(number=row.number, title=row.title, text=row.text, created_at=row.created_at)
        for row in Note.objects.get(pk=note_id).revisions.order_by("-number")
    ]


def drafts_of(user_id: int) -> list[NoteCard]:
    notes = list(
        Note.objects.filter(author_id=user_id, status=Note.Status.DRAFT).order_by(
            "-updated_at", "-id"
        )[:100]
    )
    return note_cards(notes, viewer_id=user_id)


def profile_feed(
    *, author_id: int, viewer_id: int | None, cursor: str | None, limit: int
) -> FeedPage:
    query = visible_notes(viewer_id).filter(author_id=author_id)
    return feed_page(query, viewer_id=viewer_id, cursor=cursor, limit=limit)


def notes_tagging_product(product_id: int, viewer_id: int | None, limit: int = 6) -> list[NoteCard]:
    """Newest notes the viewer may see that tag this product (for the product page)."""
    notes = list(
        visible_notes(viewer_id)
        .filter(product_tags__product_id=product_id)
        .order_by("-published_at", "-id")[:limit]
    )
    return note_cards(notes, viewer_id=viewer_id)


# --- Comments --------------------------------------------------------------------------------


def _comment_visible_q(viewer_id: int | None) -> Q:
    shown = Q(moderation_state=ModerationState.VISIBLE, deleted_at__isnull=True)
    if viewer_id is None:
        return shown
    mine = Q(author_id=viewer_id, deleted_at__isnull=True)
    return (shown & ~blocked_either_way(viewer_id)) | mine


def _comment_views(
    comments: list[Comment], *, viewer_id: int | None, replies: dict[int, list[Comment]]
) -> list[CommentView]:
    everyone = comments + [reply for group in replies.values() for reply in group]
    cards: dict[int, UserCard] = account_selectors.user_cards(
        list({comment.author_id for comment in everyone})
    )
    liked: set[int] = set()
    if viewer_id is not None and everyone:
        liked = set(
            CommentLike.objects.filter(
                user_id=viewer_id, comment_id__in=[comment.pk for comment in everyone]
            ).values_list("comment_id", flat=True)
        )

    def view(comment: Comment, children: list[CommentView]) -> CommentView | None:
        author = cards.get(comment.author_id)
        if author is None:
            return None
        return CommentView(
            id=comment.pk,
            note_id=comment.note_id,
            author=author,
            text=comment.text,
            parent_id=comment.parent_id,
            like_count=comment.like_count,
            reply_count=comment.reply_count,
            moderation_state=comment.moderation_state,
            created_at=comment.created_at,
            liked_by_me=comment.pk in liked,
            is_deleted=comment.deleted_at is not None,
            replies=children,
        )

    result = []
    for comment in comments:
        children = [
            child for reply in replies.get(comment.pk, []) if (child := view(reply, [])) is not None
        ]
        parent = view(comment, children)
        if parent is not None:
            result.append(parent)
    return result


def comments_page(
    *,
    note_id: int,
    viewer_id: int | None,
    cursor: str | None,
    limit: int,
    replies_per_comment: int = 3,
) -> tuple[list[CommentView], str | None] | None:
    """Top-level comments oldest first, each with its first replies; None if the note is not
    visible to the viewer."""
    if visible_notes(viewer_id).filter(pk=note_id).first() is None:
        return None
    visible = _comment_visible_q(viewer_id)
    top = Comment.objects.filter(visible, note_id=note_id, parent__isnull=True)
    page = paginate(top, ordering=("id",), cursor=cursor, limit=limit)
    replies: dict[int, list[Comment]] = defaultdict(list)
    if page.items:
        rows = Comment.objects.filter(
            visible, parent_id__in=[comment.pk for comment in page.items]
        ).order_by("id")
        for reply in rows:
            if len(replies[reply.parent_id or 0]) < replies_per_comment:
                replies[reply.parent_id or 0].append(reply)
    return _comment_views(page.items, viewer_id=viewer_id, replies=replies), page.next_cursor


def comment_replies(
    *, comment_id: int, viewer_id: int | None, cursor: str | None, limit: int
) -> tuple[list[CommentView], str | None] | None:
    parent = Comment.objects.filter(pk=comment_id, parent__isnull=True).first()
    if parent is None or visible_notes(viewer_id).filter(pk=parent.note_id).first() is None:
        return None
    query = Comment.objects.filter(_comment_visible_q(viewer_id), parent_id=comment_id)
    page = paginate(query, ordering=("id",), cursor=cursor, limit=limit)
    return _comment_views(page.items, viewer_id=viewer_id, replies={}), page.next_cursor


# --- Favourites ------------------------------------------------------------------------------


def folders_of(user_id: int) -> list[FolderView]:
    rows = (
        FavouriteFolder.objects.filter(owner_id=user_id)
        .annotate(total=Count("items"))
        .order_by("-is_default", "id")
    )
    return [
        FolderView(id=row.pk, name=row.name, is_default=row.is_default, item_count=row.total)
        for row in rows
    ]


def favourites_page(
    *, user_id: int, folder_id: int | None, cursor: str | None, limit: int
) -> FeedPage:
    favourites = Favourite.objects.filter(user_id=user_id)
    if folder_id is not None:
        favourites = favourites.filter(folder_id=folder_id)
    page = paginate(favourites, ordering=("-id",), cursor=cursor, limit=limit)
    visible = {
        note.pk: note
        for note in visible_notes(user_id).filter(pk__in=[row.note_id for row in page.items])
    }
    notes = [visible[row.note_id] for row in page.items if row.note_id in visible]
    return FeedPage(items=note_cards(notes, viewer_id=user_id), next_cursor=page.next_cursor)


# --- Recommendations' training data ----------------------------------------------------------


def product_engagements_for_recommendations(
    *, since: datetime, chunk_size: int = 5000
) -> Iterator[tuple[str, int, int, datetime]]:
    """Likes and favourites since `since` of notes that tag products, once per tagged product:
    ("like" | "favourite", user_id, product_id, at), streamed (the recommender's training)."""
    for kind, model in (("like", NoteLike), ("favourite", Favourite)):
        rows = (
            model.objects.filter(created_at__gte=since, note__product_tags__isnull=False)
            .exclude(note__status=Note.Status.DELETED)
            .order_by()
            .values_list("user_id", "note__product_tags__product_id", "created_at")
        )
        for user_id, product_id, at in rows.iterator(chunk_size=chunk_size):
            yield kind, user_id, product_id, at


def products_tagged_by_notes(note_ids: Iterable[int]) -> dict[int, list[int]]:
    """Note id → the product ids it tags, in one query (notes tagging nothing are absent)."""
    tagged: dict[int, list[int]] = defaultdict(list)
    rows = NoteProduct.objects.filter(note_id__in=list(note_ids)).order_by("note_id", "id")
    for note_id, product_id in rows.values_list("note_id", "product_id"):
        tagged[note_id].append(product_id)
    return dict(tagged)
