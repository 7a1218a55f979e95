"""Share posters: a PNG with the note's cover and title and a QR code of the share link,
drawn by core.poster."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from PIL import Image

from circlemart.core import poster
from circlemart.core.errors import NotFound
from circlemart.core.poster import PosterContent
from circlemart.core.web import viewer_id
from circlemart.social import selectors
from circlemart.social.contracts import NoteDetail
from circlemart.social.services.interactions import share_link_create


def _cover(detail: NoteDetail) -> Image.Image | None:
    if not detail.images:
        return None
    from circlemart.social.models import NoteImage

    row = NoteImage.objects.filter(note_id=detail.id).order_by("position", "id").first()
    if row is None:
        return None
    try:
        with row.image.open("rb") as handle, Image.open(handle) as picture:
            return picture.convert("RGB")
    except (OSError, ValueError):
        return None


def poster_png(*, detail: NoteDetail, link: str) -> bytes:
    return poster.poster_png(
        PosterContent(
            title=detail.title or detail.text,
            subtitle=f"@{detail.author.nickname}",
            link=link,
            caption=str(_("Scan to open in Circlemart")),
            cover=_cover(detail),
        )
    )


def poster_response(request: HttpRequest, *, note_id: int) -> HttpResponse:
    viewer = viewer_id(request)
    detail = selectors.note_detail(note_id=note_id, viewer_id=viewer)
    if detail is None or detail.status != "published" or detail.moderation_state != "visible":
        raise NotFound(_("Note not found."), field="note_id")
    if viewer is not None:
        path = share_link_create(sharer_id=viewer, note_id=note_id, channel="poster").path
    else:
        path = f"/notes/{note_id}/"
    png = poster_png(detail=detail, link=request.build_absolute_uri(path))
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
