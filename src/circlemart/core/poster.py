"""Share posters: a PNG with a cover (or a coloured band), a title, a line under it and a QR
code of the link, drawn locally (Pillow + segno; no remote service sees the link). Apps give
the content; this draws it the same way for notes, groups and bargains."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 750, 1100
COVER_HEIGHT = 620
ACCENT = (255, 36, 66)
INK = (31, 35, 41)
MUTED = (138, 144, 153)
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@dataclass(frozen=True)
class PosterContent:
    title: str
    subtitle: str
    link: str
    caption: str  # the call to action beside the QR code
    cover: Image.Image | None = None
    highlight: str = ""  # a big line in the accent colour (a price)


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    configured = getattr(settings, "SOCIAL_POSTER_FONT", "")
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def media_image(url: str) -> Image.Image | None:
    """An uploaded image by its media URL, as RGB; None when it is not ours or unreadable."""
    prefix = settings.MEDIA_URL
    if not url or not url.startswith(prefix):
        return None
    name = url.removeprefix(prefix)
    try:
        with default_storage.open(name, "rb") as handle, Image.open(handle) as picture:
            return picture.convert("RGB")
    except (OSError, ValueError):
        return None


def wrap(draw: ImageDraw.ImageDraw, text: str, font: object, width: int, lines: int) -> list[str]:
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


def _paste_cover(canvas: Image.Image, cover: Image.Image) -> None:
    scale = max(WIDTH / cover.width, COVER_HEIGHT / cover.height)
    resized = cover.resize((int(cover.width * scale) + 1, int(cover.height * scale) + 1))
    left = (resized.width - WIDTH) // 2
    top = (resized.height - COVER_HEIGHT) // 2
    canvas.paste(resized.crop((left, top, left + WIDTH, top + COVER_HEIGHT)), (0, 0))


def _qr(link: str) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    with Image.open(buffer) as code:
        return code.convert("RGB").resize((220, 220), Image.Resampling.NEAREST)


def poster_png(content: PosterContent) -> bytes:
    canvas = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    if content.cover is not None:
        _paste_cover(canvas, content.cover)
    else:
        draw.rectangle((0, 0, WIDTH, COVER_HEIGHT), fill=ACCENT)
    title_font, body_font = font(40), font(26)
    y = COVER_HEIGHT + 30
    for line in wrap(draw, content.title, title_font, WIDTH - 80, 2):
        draw.text((40, y), line, fill=INK, font=title_font)
        y += 54
    if content.highlight:
        draw.text((40, y + 6), content.highlight, fill=ACCENT, font=font(48))
        y += 66
    draw.text((40, y + 10), content.subtitle, fill=MUTED, font=body_font)
    canvas.paste(_qr(content.link), (WIDTH - 260, HEIGHT - 260))
    draw.text((40, HEIGHT - 150), content.caption, fill=ACCENT, font=body_font)
    output = io.BytesIO()
    canvas.save(output, format="PNG", optimize=True)
    return output.getvalue()
