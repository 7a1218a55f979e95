"""Error codes of the daily check-in and the task centre."""

ALREADY_CHECKED_IN = "already_checked_in"
DATE_IN_FUTURE = "date_in_future"
DATE_IS_TODAY = "date_is_today"
DATE_OUTSIDE_WINDOW = "date_outside_window"
NO_MAKE_UP_CARD = "no_make_up_card"
INVALID_CARD_COUNT = "invalid_card_count"
