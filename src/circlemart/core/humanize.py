"""Times, countdowns and discounts worded the way shoppers read them in each language:
"3分钟前" / "3 min ago", "13天 04:05:06" / "13d 04:05:06", "9折" / "10% off"."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from circlemart.core import clock


def _is_chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def relative_time(moment: datetime | None, *, now: datetime | None = None) -> str:
    """How long ago: 刚刚 / 3分钟前 / 2小时前 / 昨天 14:05 / 3天前 / 12月1日 / 2025年12月1日."""
    if moment is None:
        return ""
    now = now or clock.now()
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        minutes = seconds // 60
        return ngettext("%(count)d minute ago", "%(count)d minutes ago", minutes) % {
            "count": minutes
        }
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    if seconds < 86400 and local.date() == today:
        hours = seconds // 3600
        return ngettext("%(count)d hour ago", "%(count)d hours ago", hours) % {"count": hours}
    days = (today - local.date()).days
    if days <= 1:
        return _("yesterday %(time)s") % {"time": local.strftime("%H:%M")}
    if days < 7:
        return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}
    if local.year == today.year:
        return date_format(local, pgettext("relative time: a date this year", "F j"))
    return date_format(local, pgettext("relative time: a date in another year", "F j, Y"))


def countdown(moment: datetime | None, *, now: datetime | None = None) -> str:
    """Time left until `moment`: "04:05:06", or with days "13天 04:05:06" / "13d 04:05:06"."""
    if moment is None:
        return ""
    left = max(0, int((moment - (now or clock.now())).total_seconds()))
    days, rest = divmod(left, 86400)
    clock_part = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    if not days:
        return clock_part
    return _("%(days)dd %(clock)s") % {"days": days, "clock": clock_part}


def days_left(moment: datetime | None, *, now: datetime | None = None) -> str:
    """Whole days left, rounded up: "剩 13 天" / "13 days left"; "今天结束" on the last day."""
    if moment is None:
        return ""
    left = moment - (now or clock.now())
    if left <= timedelta(0):
        return _("Ended")
    days = left.days + (1 if left.seconds or left.microseconds else 0)
    if days <= 1:
        return _("Ends today")
    return ngettext("%(count)d day left", "%(count)d days left", days) % {"count": days}


def percent_off(percent: int | None) -> str:
    """A percent-off discount: "15% off" in English; in Chinese it reads as 折 — the share
    that is paid, in tenths: 10% off → 9折, 15% off → 8.5折."""
    percent = int(percent or 0)
    if _is_chinese():
        paid = 100 - percent
        tenths = f"{paid // 10}" if paid % 10 == 0 else f"{paid / 10:g}"
        return f"{tenths}折"
    return _("%(percent)d%% off") % {"percent": percent}
