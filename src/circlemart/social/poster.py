"""Share posters: a PNG with the note's cover and title and a QR code of the share link,
drawn locally (Pillow + segno; no remote service sees the link)."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from circlemart.core.errors import NotFound
from circlemart.core.web import viewer_id
from circlemart.social import selectors
from circlemart.social.contracts import NoteDetail
from circlemart.social.services.interactions import share_link_create

WIDTH, HEIGHT = 750, 1100
COVER_HEIGHT = 620
ACCENT = (255, 36, 66)
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    configured = settings.SOCIAL_POSTER_FONT
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


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


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: object, width: int, lines: int) -> list[str]:
    result: list[str] = []
    current = ""
    for char in text.replace("\n", " "):
        trial = current + char
        if draw.textlength(trial, font=font) > width:  # type: ignore[arg-type]
            result.append(current)
            current = char
            if len(result) == lines:
                result[-1] = result[-1][:-1] + "…"
                return result
        else:
            current = trial
    if current:
        result.append(current)
    return result[:lines]


def poster_png(*, detail: NoteDetail, link: str) -> bytes:
    canvas = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    cover = _cover(detail)
    if cover is not None:
        scale = max(WIDTH / cover.width, COVER_HEIGHT / cover.height)
        resized = cover.resize((int(cover.width * scale) + 1, int(cover.height * scale) + 1))
        left = (resized.width - WIDTH) // 2
        top = (resized.height - COVER_HEIGHT) // 2
        canvas.paste(resized.crop((left, top, left + WIDTH, top + COVER_HEIGHT)), (0, 0))
    else:
        draw.rectangle((0, 0, WIDTH, COVER_HEIGHT), fill=ACCENT)
    title_font, body_font = _font(40), _font(26)
    y = COVER_HEIGHT + 30
    for line in _wrap(draw, detail.title or detail.text, title_font, WIDTH - 80, 2):
        draw.text((40, y), line, fill=(31, 35, 41), font=title_font)
        y += 54
    draw.text((40, y + 10), f"@{detail.author.nickname}", fill=(138, 144, 153), font=body_font)
    qr = segno.make(link, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    with Image.open(buffer) as code:
        code_image = code.convert("RGB").resize((220, 220), Image.Resampling.NEAREST)
    canvas.paste(code_image, (WIDTH - 260, HEIGHT - 260))
    draw.text((40, HEIGHT - 150), str(_("Scan to open in Circlemart")), fill=ACCENT, font=body_font)
    output = io.BytesIO()
    canvas.save(output, format="PNG", optimize=True)
    return output.getvalue()


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
