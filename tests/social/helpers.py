"""Builders for social tests: notes through the services, images in memory, API headers."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from circlemart.accounts.services import token_pair_issue
from circlemart.social import services
from circlemart.social.contracts import NoteInput
from circlemart.social.models import Note


def bearer(user: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_pair_issue(user=user).access_token}"}


def note(author: Any, text: str = "今天的穿搭 #ootd", **fields: Any) -> Note:
    publish = fields.pop("publish", True)
    images = fields.pop("images", ())
    return services.note_create(
        author_id=author.pk, data=NoteInput(text=text, **fields), images=images, publish_now=publish
    )


def image_upload(
    name: str = "photo.jpg",
    *,
    size: tuple[int, int] = (800, 600),
    exif: bool = False,
    fmt: str = "JPEG",
) -> SimpleUploadedFile:
    picture = Image.new("RGB", size, (200, 80, 90))
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x0110] = "Model X"
        picture.save(buffer, format=fmt, exif=data)
    else:
        picture.save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def follow(a: Any, b: Any) -> None:
    services.follow_create(follower_id=a.pk, followee_id=b.pk)
