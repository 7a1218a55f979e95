"""How moderation finds the author and text of reported social content."""

from __future__ import annotations

from circlemart.moderation.contracts import ContentRef
from circlemart.social.models import Circle, Comment, ModerationState, Note


def note_as_content(note_id: int) -> ContentRef | None:
    note = (
        Note.objects.filter(pk=note_id, status=Note.Status.PUBLISHED, visibility="public")
        .exclude(moderation_state=ModerationState.REJECTED)
        .only("author_id", "title", "text")
        .first()
    )
    if note is None:
        return None
    return ContentRef(author_id=note.author_id, excerpt=f"{note.title}\n{note.text}".strip())


def comment_as_content(comment_id: int) -> ContentRef | None:
    comment = (
        Comment.objects.filter(pk=comment_id, deleted_at__isnull=True)
        .exclude(moderation_state=ModerationState.REJECTED)
        .only("author_id", "text")
        .first()
    )
    if comment is None:
        return None
    return ContentRef(author_id=comment.author_id, excerpt=comment.text)


def circle_as_content(circle_id: int) -> ContentRef | None:
    circle = Circle.objects.filter(pk=circle_id, moderation_state=ModerationState.VISIBLE).first()
    if circle is None:
        return None
    return ContentRef(
        author_id=circle.owner_id, excerpt=f"{circle.name}\n{circle.description}".strip()
    )
