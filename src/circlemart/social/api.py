"""Social API. `router` (/api/v1/users): profiles, follower / following / friend pages,
follow and block. `content_router` (/api/v1/social): notes, comments, likes, favourites,
shares, circles, topics and feeds. Someone else's draft or hidden note is a 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Router, Status
from ninja.files import UploadedFile

from circlemart.accounts import selectors as account_selectors
from circlemart.core.errors import NotFound
from circlemart.core.pagination import CursorPage, PageCursor, PageLimit, page_size
from circlemart.core.web import signed_in_id, viewer_id
from circlemart.social import poster, selectors, services
from circlemart.social.contracts import NoteInput
from circlemart.social.models import Follow
from circlemart.social.schemas import (
    AttributionOut,
    BlockOut,
    CircleIn,
    CircleOut,
    CommentIn,
    CommentOut,
    CommentPageOut,
    EdgePageOut,
    FavouriteIn,
    FeedPageOut,
    FolderIn,
    FolderOut,
    FollowOut,
    NoteCardOut,
    NoteDetailOut,
    NoteIn,
    PublicProfileOut,
    RelationshipOut,
    RepostIn,
    RevisionOut,
    ShareIn,
    ShareOut,
    ToggleOut,
    TopicOut,
    feed_page_response,
)

router = Router()
# Notes, comments, likes, circles, topics and feeds: /api/v1/social/…
content_router = Router(tags=["social"])


def _existing_user(user_id: int) -> None:
    if not account_selectors.user_is_active(user_id):
        raise NotFound(_("User not found."), field="user_id")


def _edge_page(page: CursorPage[Follow], *, side: str) -> dict[str, Any]:
    ids = [getattr(edge, side) for edge in page.items]
    cards = account_selectors.user_cards(ids)
    items = [
        {"user": cards[getattr(edge, side)].__dict__, "since": edge.created_at}
        for edge in page.items
        if getattr(edge, side) in cards
    ]
    return {"items": items, "next_cursor": page.next_cursor}


# --- /api/v1/users ---------------------------------------------------------------------------


@router.get("/{user_id}", response=PublicProfileOut, auth=None, summary="A user's public profile")
def user_profile(request: HttpRequest, user_id: int) -> dict[str, Any]:
    cards = account_selectors.user_cards([user_id])
    if user_id not in cards:
        raise NotFound(_("User not found."), field="user_id")
    viewer = viewer_id(request)
    followed = viewer is not None and selectors.is_following(
        follower_id=viewer, followee_id=user_id
    )
    return {
        **cards[user_id].__dict__,
        **selectors.follow_counts(user_id),
        "is_followed_by_me": followed,
    }


@router.get(
    "/{user_id}/relationship", response=RelationshipOut, summary="How I stand with this user"
)
def user_relationship(request: HttpRequest, user_id: int) -> Any:
    _existing_user(user_id)
    return selectors.relationship(viewer_id=signed_in_id(request), other_id=user_id)


@router.get(
    "/{user_id}/followers", response=EdgePageOut, auth=None, summary="Followers, newest first"
)
def followers(
    request: HttpRequest, user_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    _existing_user(user_id)
    page = selectors.followers_page(user_id=user_id, cursor=cursor, limit=page_size(limit))
    return _edge_page(page, side="follower_id")


@router.get(
    "/{user_id}/following", response=EdgePageOut, auth=None, summary="Followed users, newest first"
)
def following(
    request: HttpRequest, user_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    _existing_user(user_id)
    page = selectors.following_page(user_id=user_id, cursor=cursor, limit=page_size(limit))
    return _edge_page(page, side="followee_id")


@router.get(
    "/{user_id}/friends", response=EdgePageOut, auth=None, summary="Mutual follows, newest first"
)
def friends(
    request: HttpRequest, user_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    _existing_user(user_id)
    page = selectors.friends_page(user_id=user_id, cursor=cursor, limit=page_size(limit))
    return _edge_page(page, side="followee_id")


@router.get("/{user_id}/notes", response=FeedPageOut, auth=None, summary="A user's notes")
def user_notes(
    request: HttpRequest, user_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> Any:
    _existing_user(user_id)
    return selectors.profile_feed(
        author_id=user_id, viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )


@router.post("/{user_id}/follow", response={200: FollowOut, 201: FollowOut}, summary="Follow")
def follow(request: HttpRequest, user_id: int) -> Status[Any]:
    _existing_user(user_id)
    created = services.follow_create(follower_id=signed_in_id(request), followee_id=user_id)
    return Status(201 if created else 200, {"following": True, "created": created})


@router.delete("/{user_id}/follow", response={204: None}, summary="Unfollow")
def unfollow(request: HttpRequest, user_id: int) -> Status[Any]:
    _existing_user(user_id)
    services.follow_delete(follower_id=signed_in_id(request), followee_id=user_id)
    return Status(204, None)


@router.post("/{user_id}/block", response={200: BlockOut, 201: BlockOut}, summary="Block")
def block(request: HttpRequest, user_id: int) -> Status[Any]:
    _existing_user(user_id)
    created = services.block_create(blocker_id=signed_in_id(request), blocked_id=user_id)
    return Status(201 if created else 200, {"blocking": True, "created": created})


@router.delete("/{user_id}/block", response={204: None}, summary="Unblock")
def unblock(request: HttpRequest, user_id: int) -> Status[Any]:
    _existing_user(user_id)
    services.block_delete(blocker_id=signed_in_id(request), blocked_id=user_id)
    return Status(204, None)


# --- Notes -----------------------------------------------------------------------------------


def _note_input(payload: NoteIn) -> NoteInput:
    return NoteInput(
        text=payload.text,
        title=payload.title,
        visibility=payload.visibility,
        circle_id=payload.circle_id,
        product_ids=payload.product_ids,
        video_url=payload.video_url,
        location=payload.location,
    )


def _detail(request: HttpRequest, note_id: int) -> Any:
    detail = selectors.note_detail(note_id=note_id, viewer_id=viewer_id(request))
    if detail is None:
        raise NotFound(_("Note not found."), field="note_id")
    return detail


@content_router.post("/notes", response={201: NoteDetailOut}, summary="Write a note or a draft")
def note_create(request: HttpRequest, payload: NoteIn) -> Status[Any]:
    note = services.note_create(
        author_id=signed_in_id(request), data=_note_input(payload), publish_now=payload.publish
    )
    return Status(201, _detail(request, note.pk))


@content_router.get("/notes/{note_id}", response=NoteDetailOut, auth=None, summary="One note")
def note_get(request: HttpRequest, note_id: int) -> Any:
    return _detail(request, note_id)


@content_router.put("/notes/{note_id}", response=NoteDetailOut, summary="Edit one's note")
def note_update(request: HttpRequest, note_id: int, payload: NoteIn) -> Any:
    services.note_update(actor_id=signed_in_id(request), note_id=note_id, data=_note_input(payload))
    if payload.publish:
        services.note_publish(actor_id=signed_in_id(request), note_id=note_id)
    return _detail(request, note_id)


@content_router.post(
    "/notes/{note_id}/images", response=NoteDetailOut, summary="Replace a note's images (≤ 9)"
)
def note_images(request: HttpRequest, note_id: int, images: File[list[UploadedFile]]) -> Any:
    services.note_images_set(actor_id=signed_in_id(request), note_id=note_id, images=images)
    return _detail(request, note_id)


@content_router.post("/notes/{note_id}/publish", response=NoteDetailOut, summary="Publish a draft")
def note_publish(request: HttpRequest, note_id: int) -> Any:
    services.note_publish(actor_id=signed_in_id(request), note_id=note_id)
    return _detail(request, note_id)


@content_router.delete("/notes/{note_id}", response={204: None}, summary="Delete one's note")
def note_delete(request: HttpRequest, note_id: int) -> Status[Any]:
    services.note_delete(actor_id=signed_in_id(request), note_id=note_id)
    return Status(204, None)


@content_router.get(
    "/notes/{note_id}/revisions", response=list[RevisionOut], auth=None, summary="Edit history"
)
def note_revisions(request: HttpRequest, note_id: int) -> Any:
    revisions = selectors.note_revisions(note_id=note_id, viewer_id=viewer_id(request))
    if revisions is None:
        raise NotFound(_("Note not found."), field="note_id")
    return revisions


@content_router.get("/drafts", response=list[NoteCardOut], summary="My drafts")
def drafts(request: HttpRequest) -> Any:
    return selectors.drafts_of(signed_in_id(request))


# --- Comments and likes ----------------------------------------------------------------------


@content_router.get(
    "/notes/{note_id}/comments", response=CommentPageOut, auth=None, summary="Comments"
)
def comments(
    request: HttpRequest, note_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    found = selectors.comments_page(
        note_id=note_id, viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )
    if found is None:
        raise NotFound(_("Note not found."), field="note_id")
    items, next_cursor = found
    return {"items": items, "next_cursor": next_cursor}


@content_router.post(
    "/notes/{note_id}/comments", response={201: CommentOut}, summary="Comment or reply"
)
def comment_create(request: HttpRequest, note_id: int, payload: CommentIn) -> Status[Any]:
    author_id = signed_in_id(request)
    comment = services.comment_create(
        author_id=author_id, note_id=note_id, text=payload.text, parent_id=payload.parent_id
    )
    card = account_selectors.user_cards([author_id])[author_id]
    return Status(
        201,
        {
            "id": comment.pk,
            "note_id": note_id,
            "author": card,
            "text": comment.text,
            "parent_id": comment.parent_id,
            "like_count": 0,
            "reply_count": 0,
            "moderation_state": comment.moderation_state,
            "created_at": comment.created_at,
            "liked_by_me": False,
            "is_deleted": False,
        },
    )


@content_router.get(
    "/comments/{comment_id}/replies", response=CommentPageOut, auth=None, summary="Replies"
)
def replies(
    request: HttpRequest, comment_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> dict[str, Any]:
    found = selectors.comment_replies(
        comment_id=comment_id, viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )
    if found is None:
        raise NotFound(_("Comment not found."), field="comment_id")
    items, next_cursor = found
    return {"items": items, "next_cursor": next_cursor}


@content_router.delete("/comments/{comment_id}", response={204: None}, summary="Delete a comment")
def comment_delete(request: HttpRequest, comment_id: int) -> Status[Any]:
    services.comment_delete(actor_id=signed_in_id(request), comment_id=comment_id)
    return Status(204, None)


@content_router.post("/notes/{note_id}/like", response={200: ToggleOut, 201: ToggleOut})
def note_like(request: HttpRequest, note_id: int) -> Status[Any]:
    created = services.note_like(user_id=signed_in_id(request), note_id=note_id)
    detail = _detail(request, note_id)
    return Status(
        201 if created else 200, {"active": True, "created": created, "count": detail.like_count}
    )


@content_router.delete("/notes/{note_id}/like", response={204: None})
def note_unlike(request: HttpRequest, note_id: int) -> Status[Any]:
    services.note_unlike(user_id=signed_in_id(request), note_id=note_id)
    return Status(204, None)


@content_router.post("/comments/{comment_id}/like", response={200: ToggleOut, 201: ToggleOut})
def comment_like(request: HttpRequest, comment_id: int) -> Status[Any]:
    created = services.comment_like(user_id=signed_in_id(request), comment_id=comment_id)
    return Status(201 if created else 200, {"active": True, "created": created})


@content_router.delete("/comments/{comment_id}/like", response={204: None})
def comment_unlike(request: HttpRequest, comment_id: int) -> Status[Any]:
    services.comment_unlike(user_id=signed_in_id(request), comment_id=comment_id)
    return Status(204, None)


# --- Favourites ------------------------------------------------------------------------------


@content_router.post("/notes/{note_id}/favourite", response={200: ToggleOut, 201: ToggleOut})
def favourite_add(request: HttpRequest, note_id: int, payload: FavouriteIn) -> Status[Any]:
    created = services.favourite_add(
        user_id=signed_in_id(request), note_id=note_id, folder_id=payload.folder_id
    )
    return Status(201 if created else 200, {"active": True, "created": created})


@content_router.delete("/notes/{note_id}/favourite", response={204: None})
def favourite_remove(request: HttpRequest, note_id: int) -> Status[Any]:
    services.favourite_remove(user_id=signed_in_id(request), note_id=note_id)
    return Status(204, None)


@content_router.get("/folders", response=list[FolderOut], summary="My favourite folders")
def folders(request: HttpRequest) -> Any:
    return selectors.folders_of(signed_in_id(request))


@content_router.post("/folders", response={201: FolderOut}, summary="New favourite folder")
def folder_create(request: HttpRequest, payload: FolderIn) -> Status[Any]:
    folder = services.folder_create(owner_id=signed_in_id(request), name=payload.name)
    return Status(201, {"id": folder.pk, "name": folder.name, "is_default": False, "item_count": 0})


@content_router.delete("/folders/{folder_id}", response={204: None})
def folder_delete(request: HttpRequest, folder_id: int) -> Status[Any]:
    services.folder_delete(owner_id=signed_in_id(request), folder_id=folder_id)
    return Status(204, None)


@content_router.get("/favourites", response=FeedPageOut, summary="My favourites")
def favourites(
    request: HttpRequest,
    folder_id: int | None = None,
    cursor: PageCursor = None,
    limit: PageLimit = None,
) -> Any:
    return selectors.favourites_page(
        user_id=signed_in_id(request), folder_id=folder_id, cursor=cursor, limit=page_size(limit)
    )


# --- Shares and reposts ----------------------------------------------------------------------


@content_router.post("/notes/{note_id}/share", response={201: ShareOut}, summary="Share link")
def share(request: HttpRequest, note_id: int, payload: ShareIn) -> Status[Any]:
    link = services.share_link_create(
        sharer_id=signed_in_id(request), note_id=note_id, channel=payload.channel
    )
    return Status(201, link)


@content_router.get("/notes/{note_id}/poster.png", auth=None, summary="Share poster (PNG + QR)")
def share_poster(request: HttpRequest, note_id: int) -> HttpResponse:
    return poster.poster_response(request, note_id=note_id)


@content_router.post("/notes/{note_id}/repost", response={201: NoteDetailOut}, summary="Repost")
def repost(request: HttpRequest, note_id: int, payload: RepostIn) -> Status[Any]:
    note = services.note_repost(user_id=signed_in_id(request), note_id=note_id, text=payload.text)
    return Status(201, _detail(request, note.pk))


@content_router.get(
    "/attribution", response={200: AttributionOut, 204: None}, auth=None, summary="Who shared"
)
def attribution(request: HttpRequest) -> Status[Any]:
    found = selectors.attribution_for_request(request)
    return Status(204, None) if found is None else Status(200, found)


# --- Feeds -----------------------------------------------------------------------------------


# Feed pages are written by schemas.feed_page_response (ninja's answer, without validating
# every card again); `response=FeedPageOut` still documents them.
@content_router.get("/feed/following", response=FeedPageOut, summary="Following feed")
def feed_following(
    request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None
) -> HttpResponse:
    page = selectors.following_feed(
        viewer_id=signed_in_id(request), cursor=cursor, limit=page_size(limit)
    )
    return feed_page_response(page)


@content_router.get("/feed/discover", response=FeedPageOut, auth=None, summary="Discover feed")
def feed_discover(
    request: HttpRequest, cursor: PageCursor = None, limit: PageLimit = None
) -> HttpResponse:
    page = selectors.discover_feed(
        viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )
    return feed_page_response(page)


@content_router.get(
    "/products/{product_id}/notes",
    response=list[NoteCardOut],
    auth=None,
    summary="Notes tagging a product",
)
def product_notes(request: HttpRequest, product_id: int, limit: PageLimit = None) -> Any:
    return selectors.notes_tagging_product(product_id, viewer_id(request), page_size(limit))


# --- Circles ---------------------------------------------------------------------------------


def _circle(request: HttpRequest, circle_id: int) -> Any:
    circle = selectors.circle_detail(circle_id=circle_id, viewer_id=viewer_id(request))
    if circle is None:
        raise NotFound(_("Circle not found."), field="circle_id")
    return circle


@content_router.get("/circles", response=list[CircleOut], auth=None, summary="Popular circles")
def circles(request: HttpRequest) -> Any:
    return selectors.circles_popular(viewer_id=viewer_id(request))


@content_router.get(
    "/circles/suggested", response=list[CircleOut], summary="Circles you might like"
)
def circles_suggested(request: HttpRequest) -> Any:
    return selectors.circles_you_might_like(viewer_id=signed_in_id(request))


@content_router.post("/circles", response={201: CircleOut}, summary="Create a circle")
def circle_create(request: HttpRequest, payload: CircleIn) -> Status[Any]:
    circle = services.circle_create(
        owner_id=signed_in_id(request),
        name=payload.name,
        description=payload.description,
        rules=payload.rules,
    )
    return Status(201, _circle(request, circle.pk))


@content_router.get("/circles/{circle_id}", response=CircleOut, auth=None, summary="One circle")
def circle_get(request: HttpRequest, circle_id: int) -> Any:
    return _circle(request, circle_id)


@content_router.get(
    "/circles/{circle_id}/feed", response=FeedPageOut, auth=None, summary="Circle feed"
)
def circle_feed(
    request: HttpRequest, circle_id: int, cursor: PageCursor = None, limit: PageLimit = None
) -> Any:
    _circle(request, circle_id)
    return selectors.circle_feed(
        circle_id=circle_id, viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )


@content_router.post("/circles/{circle_id}/membership", response={200: ToggleOut, 201: ToggleOut})
def circle_join(request: HttpRequest, circle_id: int) -> Status[Any]:
    created = services.circle_join(user_id=signed_in_id(request), circle_id=circle_id)
    return Status(201 if created else 200, {"active": True, "created": created})


@content_router.delete("/circles/{circle_id}/membership", response={204: None})
def circle_leave(request: HttpRequest, circle_id: int) -> Status[Any]:
    services.circle_leave(user_id=signed_in_id(request), circle_id=circle_id)
    return Status(204, None)


@content_router.put("/circles/{circle_id}/admins/{user_id}", response={204: None})
def circle_admin_add(request: HttpRequest, circle_id: int, user_id: int) -> Status[Any]:
    services.circle_admin_set(
        actor_id=signed_in_id(request), circle_id=circle_id, user_id=user_id, is_admin=True
    )
    return Status(204, None)


@content_router.delete("/circles/{circle_id}/admins/{user_id}", response={204: None})
def circle_admin_remove(request: HttpRequest, circle_id: int, user_id: int) -> Status[Any]:
    services.circle_admin_set(
        actor_id=signed_in_id(request), circle_id=circle_id, user_id=user_id, is_admin=False
    )
    return Status(204, None)


@content_router.post("/notes/{note_id}/pin", response={204: None}, summary="Pin in its circle")
def note_pin(request: HttpRequest, note_id: int) -> Status[Any]:
    services.note_pin(actor_id=signed_in_id(request), note_id=note_id, pinned=True)
    return Status(204, None)


@content_router.delete("/notes/{note_id}/pin", response={204: None})
def note_unpin(request: HttpRequest, note_id: int) -> Status[Any]:
    services.note_pin(actor_id=signed_in_id(request), note_id=note_id, pinned=False)
    return Status(204, None)


@content_router.post(
    "/notes/{note_id}/remove", response={204: None}, summary="Circle admin removes a post"
)
def note_remove(request: HttpRequest, note_id: int) -> Status[Any]:
    services.note_remove_from_circle(actor_id=signed_in_id(request), note_id=note_id)
    return Status(204, None)


# --- Topics ----------------------------------------------------------------------------------


@content_router.get("/topics/trending", response=list[TopicOut], auth=None, summary="Trending")
def topics_trending(request: HttpRequest, limit: PageLimit = None) -> Any:
    return selectors.trending_topics(limit=page_size(limit))


@content_router.get("/topics/{name}", response=TopicOut, auth=None, summary="One topic")
def topic_get(request: HttpRequest, name: str) -> Any:
    topic = selectors.topic_detail(name=name, viewer_id=viewer_id(request))
    if topic is None:
        raise NotFound(_("Topic not found."), field="topic")
    return topic


@content_router.get("/topics/{name}/feed", response=FeedPageOut, auth=None, summary="Topic feed")
def topic_feed(
    request: HttpRequest, name: str, cursor: PageCursor = None, limit: PageLimit = None
) -> Any:
    topic_get(request, name)
    return selectors.topic_feed(
        name=name, viewer_id=viewer_id(request), cursor=cursor, limit=page_size(limit)
    )


@content_router.post("/topics/{name}/follow", response={200: ToggleOut, 201: ToggleOut})
def topic_follow(request: HttpRequest, name: str) -> Status[Any]:
    created = services.topic_follow(user_id=signed_in_id(request), name=name)
    return Status(201 if created else 200, {"active": True, "created": created})


@content_router.delete("/topics/{name}/follow", response={204: None})
def topic_unfollow(request: HttpRequest, name: str) -> Status[Any]:
    services.topic_unfollow(user_id=signed_in_id(request), name=name)
    return Status(204, None)
