"""Writes of notes: compose (draft or publish), edit with history, delete, moderation state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock, ratelimit
from circlemart.core.errors import NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import publish
from circlemart.core.text import clean_plain_text
from circlemart.social import errors
from circlemart.social.contracts import VISIBILITIES, NoteInput
from circlemart.social.events import NotePublished
from circlemart.social.models import (
    Circle,
    CircleMember,
    ModerationState,
    Note,
    NoteImage,
    NoteMention,
    NoteProduct,
    NoteRevision,
    NoteTopic,
    Topic,
)
from circlemart.social.services.hotness import hot_score
from circlemart.social.services.images import ProcessedImage, image_process
from circlemart.social.services.scheduling import after_commit
from circlemart.social.services.screening import screen, submit_for_review
from circlemart.social.text import parse_mentions, parse_topics, topic_key

TITLE_MAX = 60
TEXT_MAX = 2000
LOCATION_MAX = 60
MAX_PRODUCTS = 10
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class _Cleaned:
    title: str
    text: str
    location: str
    video_url: str
    visibility: str
    circle_id: int | None
    product_ids: list[int]


def _clean(*, author_id: int, data: NoteInput) -> _Cleaned:
    title = clean_plain_text(data.title, field="title", max_length=TITLE_MAX)
    text = clean_plain_text(
        data.text, field="text", min_length=1, max_length=TEXT_MAX, multiline=True
    )
    location = clean_plain_text(data.location, field="location", max_length=LOCATION_MAX)
    video_url = (data.video_url or "").strip()
    if video_url:
        try:
            _url_validator(video_url)
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("Enter a valid http or https video URL."),
                code=errors.INVALID_URL,
                field="video_url",
            ) from exc
    if data.visibility not in VISIBILITIES:
        raise ValidationFailed(
            _("Choose who can see the note."), code=errors.INVALID_VISIBILITY, field="visibility"
        )
    circle_id = data.circle_id
    if data.visibility == "circle":
        if circle_id is None:
            raise ValidationFailed(_("Choose a circle."), code="required", field="circle_id")
        circle = Circle.objects.filter(pk=circle_id).first()
        if circle is None or (
            circle.moderation_state != ModerationState.VISIBLE and circle.owner_id != author_id
        ):
            raise ValidationFailed(_("Circle not found."), code="not_found", field="circle_id")
        if not CircleMember.objects.filter(circle_id=circle_id, user_id=author_id).exists():
            raise ValidationFailed(
                _("Join the circle to post in it."), code=errors.NOT_A_MEMBER, field="circle_id"
            )
    elif circle_id is not None:
        raise ValidationFailed(
            _("A circle note must have visibility “circle”."),
            code=errors.INVALID_VISIBILITY,
            field="circle_id",
        )
    product_ids = list(dict.fromkeys(data.product_ids))
    if len(product_ids) > MAX_PRODUCTS:
        raise ValidationFailed(
            _("Tag at most %(count)d products.") % {"count": MAX_PRODUCTS},
            code=errors.TOO_MANY_PRODUCTS,
            field="product_ids",
        )
    if product_ids:
        found = {card.id for card in catalog_selectors.product_cards(product_ids)}
        missing = [product_id for product_id in product_ids if product_id not in found]
        if missing:
            raise ValidationFailed(
                _("Product %(id)s does not exist or is not on sale.") % {"id": missing[0]},
                code=errors.UNKNOWN_PRODUCT,
                field="product_ids",
            )
    return _Cleaned(
        title=title,
        text=text,
        location=location,
        video_url=video_url,
        visibility=data.visibility,
        circle_id=circle_id,
        product_ids=product_ids,
    )


def _process_images(images: Sequence[UploadedFile[bytes]]) -> list[ProcessedImage]:
    if len(images) > settings.SOCIAL_NOTE_MAX_IMAGES:
        raise ValidationFailed(
            _("A note can have at most %(count)d images.")
            % {"count": settings.SOCIAL_NOTE_MAX_IMAGES},
            code=errors.TOO_MANY_IMAGES,
            field="images",
        )
    return [image_process(upload) for upload in images]


def _store_images(note: Note, processed: list[ProcessedImage]) -> None:
    for position, picture in enumerate(processed):
        row = NoteImage(note=note, position=position, width=picture.width, height=picture.height)
        row.image.save("image.webp", ContentFile(picture.large), save=False)
        row.thumbnail.save("thumb.webp", ContentFile(picture.thumbnail), save=False)
        row.save()


def _user_ids_for_handles(handles: list[str]) -> list[int]:
    """@123 by id, @nickname when exactly one active user carries it."""
    ids = [int(handle) for handle in handles if handle.isdigit()]
    names = [handle for handle in handles if not handle.isdigit()]
    found = list(account_selectors.user_cards(ids).keys()) if ids else []
    if names:
        from circlemart.social.selectors.people import user_ids_by_nickname

        found += user_ids_by_nickname(names)
    return list(dict.fromkeys(found))


def _link_topics_and_mentions(note: Note, *, author_id: int) -> None:
    NoteTopic.objects.filter(note=note).delete()
    NoteMention.objects.filter(note=note).delete()
    labels = parse_topics(f"{note.title}\n{note.text}")
    for label in labels:
        topic, _created = Topic.objects.get_or_create(
            name=topic_key(label), defaults={"label": label}
        )
        NoteTopic.objects.create(note=note, topic=topic)
    mentioned = [
        user_id
        for user_id in _user_ids_for_handles(parse_mentions(note.text))
        if user_id != author_id
    ]
    NoteMention.objects.bulk_create(
        [NoteMention(note=note, user_id=user_id) for user_id in mentioned], ignore_conflicts=True
    )


def _link_products(note: Note, product_ids: list[int]) -> None:
    NoteProduct.objects.filter(note=note).delete()
    NoteProduct.objects.bulk_create(
        [
            NoteProduct(note=note, product_id=product_id, position=position)
            for position, product_id in enumerate(product_ids)
        ]
    )


def note_go_live_if_ready(note: Note) -> None:
    """The first time a note is both published and visible: announce it, count it, fan out."""
    if note.status != Note.Status.PUBLISHED or note.moderation_state != ModerationState.VISIBLE:
        return
    updated = Note.objects.filter(pk=note.pk, went_live_at__isnull=True).update(
        went_live_at=clock.now()
    )
    if not updated:
        after_commit("social.fan_out_note", note_id=note.pk)  # shown again after a review
        return
    topic_ids = list(NoteTopic.objects.filter(note=note).values_list("topic_id", flat=True))
    Topic.objects.filter(pk__in=topic_ids).update(note_count=F("note_count") + 1)
    if note.circle_id:
        Circle.objects.filter(pk=note.circle_id).update(note_count=F("note_count") + 1)
    publish(
        NotePublished(
            note_id=note.pk,
            author_id=note.author_id,
            visibility=note.visibility,
            circle_id=note.circle_id,
            product_ids=list(
                NoteProduct.objects.filter(note=note)
                .order_by("position")
                .values_list("product_id", flat=True)
            ),
            topics=list(
                Topic.objects.filter(pk__in=topic_ids).order_by("pk").values_list("name", flat=True)
            ),
            mentioned_user_ids=list(
                NoteMention.objects.filter(note=note).values_list("user_id", flat=True)
            ),
        )
    )
    after_commit("social.fan_out_note", note_id=note.pk)


def _rate_limit_publish(author_id: int) -> None:
    ratelimit.hit(
        f"social:note:{author_id}",
        limit=settings.SOCIAL_NOTE_RATE_PER_HOUR,
        window=3600,
        field="text",
    )


def note_create(
    *,
    author_id: int,
    data: NoteInput,
    images: Sequence[UploadedFile[bytes]] = (),
    publish_now: bool = True,
) -> Note:
    """Write a note (a draft when publish_now is False). REVIEW text keeps it hidden from all
    but its author until a moderator approves it."""
    cleaned = _clean(author_id=author_id, data=data)
    processed = _process_images(images)
    screened = screen({"title": cleaned.title, "text": cleaned.text, "location": cleaned.location})
    if publish_now:
        _rate_limit_publish(author_id)
    now = clock.now()
    with transaction.atomic():
        note = Note.objects.create(
            author_id=author_id,
            title=screened.texts["title"],
            text=screened.texts["text"],
            location=screened.texts["location"],
            video_url=cleaned.video_url,
            visibility=cleaned.visibility,
            circle_id=cleaned.circle_id,
            status=Note.Status.PUBLISHED if publish_now else Note.Status.DRAFT,
            published_at=now if publish_now else None,
            moderation_state=(
                ModerationState.IN_REVIEW if screened.needs_review else ModerationState.VISIBLE
            ),
            hot_score=hot_score(engagement=0, published_at=now),
        )
        _store_images(note, processed)
        _link_products(note, cleaned.product_ids)
        _link_topics_and_mentions(note, author_id=author_id)
        if screened.needs_review:
            submit_for_review(
                content_type="note",
                content_id=note.pk,
                author_id=author_id,
                excerpt=f"{note.title}\n{note.text}",
                reason=screened.reason,
            )
        note_go_live_if_ready(note)
    return note


def _own_note_locked(*, actor_id: int, note_id: int) -> Note:
    note = (
        Note.objects.select_for_update()
        .filter(pk=note_id, author_id=actor_id)
        .exclude(status=Note.Status.DELETED)
        .first()
    )
    if note is None:
        raise NotFound(_("Note not found."), field="note_id")
    return note


def note_update(
    *,
    actor_id: int,
    note_id: int,
    data: NoteInput,
    images: Sequence[UploadedFile[bytes]] | None = None,
) -> Note:
    """Edit one's own note; the previous title and text are kept as a NoteRevision.

    `images=None` keeps the current images; a list replaces them.
    """
    cleaned = _clean(author_id=actor_id, data=data)
    processed = _process_images(images) if images is not None else None
    screened = screen({"title": cleaned.title, "text": cleaned.text, "location": cleaned.location})
    with transaction.atomic():
        note = _own_note_locked(actor_id=actor_id, note_id=note_id)
        moves_circle = note.visibility != cleaned.visibility and "circle" in {
            note.visibility,
            cleaned.visibility,
        }
        if note.status == Note.Status.PUBLISHED and moves_circle:
            raise ValidationFailed(
                _("A published note cannot move into or out of a circle."),
                code=errors.INVALID_VISIBILITY,
                field="visibility",
            )
        new_title, new_text = screened.texts["title"], screened.texts["text"]
        if (new_title, new_text) != (note.title, note.text):
            last = note.revisions.order_by("-number").values_list("number", flat=True).first()
            NoteRevision.objects.create(
                note=note,
                number=(last or 0) + 1,
                title=note.title,
                text=note.text,
                edited_by_id=actor_id,
            )
        note.title, note.text = new_title, new_text
        note.location = screened.texts["location"]
        note.video_url = cleaned.video_url
        note.visibility = cleaned.visibility
        note.circle_id = cleaned.circle_id
        note.edited_at = clock.now()
        if screened.needs_review and note.moderation_state == ModerationState.VISIBLE:
            note.moderation_state = ModerationState.IN_REVIEW
        note.save()
        if processed is not None:
            note.images.all().delete()
            _store_images(note, processed)
        _link_products(note, cleaned.product_ids)
        _link_topics_and_mentions(note, author_id=actor_id)
        if screened.needs_review:
            submit_for_review(
                content_type="note",
                content_id=note.pk,
                author_id=actor_id,
                excerpt=f"{note.title}\n{note.text}",
                reason=screened.reason,
            )
    return note


def note_publish(*, actor_id: int, note_id: int) -> Note:
    """Publish one's own draft."""
    with transaction.atomic():
        note = _own_note_locked(actor_id=actor_id, note_id=note_id)
        if note.status == Note.Status.PUBLISHED:
            return note
        _rate_limit_publish(actor_id)
        now = clock.now()
        note.status = Note.Status.PUBLISHED
        note.published_at = now
        note.hot_score = hot_score(engagement=0, published_at=now)
        note.save(update_fields=["status", "published_at", "hot_score", "updated_at"])
        note_go_live_if_ready(note)
    return note


def note_delete(*, actor_id: int, note_id: int) -> None:
    """Soft delete one's own note (it disappears everywhere; rows stay for audit)."""
    with transaction.atomic():
        note = _own_note_locked(actor_id=actor_id, note_id=note_id)
        _soft_delete(note)


def _soft_delete(note: Note) -> None:
    was_live = note.went_live_at is not None
    note.status = Note.Status.DELETED
    note.deleted_at = clock.now()
    note.save(update_fields=["status", "deleted_at", "updated_at"])
    if was_live:
        topic_ids = NoteTopic.objects.filter(note=note).values_list("topic_id", flat=True)
        Topic.objects.filter(pk__in=list(topic_ids), note_count__gt=0).update(
            note_count=F("note_count") - 1
        )
        if note.circle_id:
            Circle.objects.filter(pk=note.circle_id, note_count__gt=0).update(
                note_count=F("note_count") - 1
            )


def note_remove_from_circle(*, actor_id: int, note_id: int) -> None:
    """A circle's owner or admin removes a post from their circle."""
    with transaction.atomic():
        note = (
            Note.objects.select_for_update()
            .filter(pk=note_id, circle__isnull=False)
            .exclude(status=Note.Status.DELETED)
            .first()
        )
        if note is None:
            raise NotFound(_("Note not found."), field="note_id")
        _require_circle_admin(actor_id=actor_id, circle_id=note.circle_id)
        note.moderation_reason = str(_("Removed by a circle admin."))
        note.save(update_fields=["moderation_reason"])
        _soft_delete(note)


def note_pin(*, actor_id: int, note_id: int, pinned: bool) -> None:
    """A circle's owner or admin pins (or unpins) a post to the top of the circle feed."""
    note = (
        Note.objects.filter(pk=note_id, circle__isnull=False, status=Note.Status.PUBLISHED)
        .only("id", "circle_id")
        .first()
    )
    if note is None:
        raise NotFound(_("Note not found."), field="note_id")
    _require_circle_admin(actor_id=actor_id, circle_id=note.circle_id)
    Note.objects.filter(pk=note_id).update(pinned_at=clock.now() if pinned else None)


def _require_circle_admin(*, actor_id: int, circle_id: int | None) -> None:
    if circle_id is None:
        raise NotFound(_("Note not found."), field="note_id")
    allowed = CircleMember.objects.filter(
        circle_id=circle_id,
        user_id=actor_id,
        role__in=[CircleMember.Role.OWNER, CircleMember.Role.ADMIN],
    ).exists()
    if not allowed:
        raise PermissionDenied(
            _("Only the circle's owner and admins can do this."),
            code=errors.NOT_CIRCLE_ADMIN,
            field="note_id",
        )


# --- Moderation decisions (from moderation.events via handlers.py) ---------------------------


def note_moderation_decided(*, note_id: int, approved: bool, reason: str = "") -> None:
    with transaction.atomic():
        note = Note.objects.select_for_update().filter(pk=note_id).first()
        if note is None:
            return
        note.moderation_state = ModerationState.VISIBLE if approved else ModerationState.REJECTED
        note.moderation_reason = "" if approved else reason[:300]
        note.save(update_fields=["moderation_state", "moderation_reason", "updated_at"])
        if approved:
            note_go_live_if_ready(note)


def note_images_set(*, actor_id: int, note_id: int, images: Sequence[UploadedFile[bytes]]) -> Note:
    """Replace the images of one's own note (up to SOCIAL_NOTE_MAX_IMAGES)."""
    processed = _process_images(images)
    with transaction.atomic():
        note = _own_note_locked(actor_id=actor_id, note_id=note_id)
        note.images.all().delete()
        _store_images(note, processed)
        note.save(update_fields=["updated_at"])
    return note
