"""Error codes of levels, growth value and badges."""

from __future__ import annotations

INVALID_BIRTHDAY = "invalid_birthday"
BIRTHDAY_ALREADY_SET = "birthday_already_set"
USER_NOT_FOUND = "user_not_found"
