"""Password rules of the sign-up and password pages: Django's, worded in our own catalogue."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2 reworded this error and its zh_Hans catalogue has no translation of the new
    wording, so the Chinese sign-up page showed it in English. This msgid lives in ours."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
