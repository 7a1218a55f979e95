"""Review photos: checked by their real type (not the name), decoded, and re-encoded as WebP
with a thumbnail. Re-encoding the pixels drops every metadata block (EXIF, GPS, XMP)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from circlemart.core.errors import ValidationFailed
from circlemart.reviews import errors

PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
PHOTO_MAX_PIXELS = 6000 * 6000
PHOTO_MAX_SIDE = 1600
THUMBNAIL_SIDE = 320


@dataclass(frozen=True)
class PreparedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _invalid(index: int) -> ValidationFailed:
    return ValidationFailed(
        _("Photo %(number)d is not a JPEG, PNG, WebP or GIF image.") % {"number": index + 1},
        code=errors.PHOTO_INVALID,
        field="photos",
    )


def _webp(picture: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = picture.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format="WEBP", quality=82)
    return buffer.getvalue(), copy.width, copy.height


def prepare_photos(
    uploads: Sequence[UploadedFile[bytes]], *, already: int = 0
) -> list[PreparedPhoto]:
    """Validate every upload before anything is stored; the whole batch fails on one bad file."""
    limit = int(settings.REVIEWS_PHOTO_MAX_COUNT)
    if already + len(uploads) > limit:
        raise ValidationFailed(
            _("A review can have at most %(count)d photos.") % {"count": limit},
            code=errors.TOO_MANY_PHOTOS,
            field="photos",
        )
    prepared = []
    for index, upload in enumerate(uploads):
        if upload.size is None or upload.size > settings.REVIEWS_PHOTO_MAX_BYTES:
            raise ValidationFailed(
                _("Photo %(number)d is too large (maximum %(size)s).")
                % {"number": index + 1, "size": filesizeformat(settings.REVIEWS_PHOTO_MAX_BYTES)},
                code=errors.PHOTO_TOO_LARGE,
                field="photos",
            )
        try:
            with Image.open(upload) as probe:
                width, height = probe.size
                if probe.format not in PHOTO_FORMATS or width * height > PHOTO_MAX_PIXELS:
                    raise _invalid(index)
                probe.load()
                picture = ImageOps.exif_transpose(probe).convert("RGB")
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise _invalid(index) from exc
        image, width, height = _webp(picture, PHOTO_MAX_SIDE)
        thumbnail, _width, _height = _webp(picture, THUMBNAIL_SIDE)
        prepared.append(PreparedPhoto(image=image, thumbnail=thumbnail, width=width, height=height))
    return prepared
