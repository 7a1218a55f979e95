"""Plain-text input hygiene shared by every form of user text (nicknames, bios, cities), and
the choice between a bilingual row's Chinese and English names."""

from __future__ import annotations

import unicodedata

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed

_FORBIDDEN_IN_NAMES = set("<>\"'`&")


def clean_plain_text(
    value: str | None,
    *,
    field: str,
    max_length: int,
    min_length: int = 0,
    multiline: bool = False,
    name_like: bool = False,
) -> str:
    """NFC-normalise, drop control characters, trim; refuse what is too long or too short.

    Text is stored as typed and escaped when rendered; names also refuse markup characters
    because they show up in notifications, mentions and e-mails.
    """
    text = unicodedata.normalize("NFC", value or "")
    allowed_controls = {"\n"} if multiline else set()
    text = "".join(
        char
        for char in text.replace("\r\n", "\n")
        if char in allowed_controls or unicodedata.category(char)[0] != "C"
    ).strip()
    if name_like and _FORBIDDEN_IN_NAMES & set(text):
        raise ValidationFailed(
            _("Must not contain < > \" ' ` or &."), code="invalid_characters", field=field
        )
    if len(text) < min_length:
        if min_length == 1:
            raise ValidationFailed(_("This field is required."), code="required", field=field)
        raise ValidationFailed(
            _("Must be at least %(count)d characters.") % {"count": min_length},
            code="too_short",
            field=field,
        )
    if len(text) > max_length:
        raise ValidationFailed(
            _("Must be at most %(count)d characters.") % {"count": max_length},
            code="too_long",
            field=field,
        )
    return text


def localized(name: str, name_en: str) -> str:
    """The English name when the active language is English and there is one, else `name`."""
    language = (get_language() or "").lower()
    return name_en if language.startswith("en") and name_en else name
