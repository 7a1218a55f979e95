"""Natural times, countdowns and discounts in both languages, and the content-marking filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from circlemart.core.humanize import countdown, days_left, percent_off, relative_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 15, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("ago", "chinese", "english"),
    [
        (timedelta(seconds=20), "刚刚", "just now"),
        (timedelta(minutes=3), "3分钟前", "3 minutes ago"),
        (timedelta(minutes=1), "1分钟前", "1 minute ago"),
        (timedelta(hours=2, minutes=5), "2小时前", "2 hours ago"),
        (timedelta(hours=16), "昨天 23:30", "yesterday 23:30"),
        (timedelta(days=1, hours=1), "昨天 14:30", "yesterday 14:30"),
        (timedelta(days=3), "3天前", "3 days ago"),
        (timedelta(days=10), "11月27日", "November 27"),
        (timedelta(days=400), "2025年11月2日", "November 2, 2025"),
    ],
)
def test_relative_times_read_naturally(ago: timedelta, chinese: str, english: str) -> None:
    with translation.override("zh-hans"):
        assert relative_time(NOW - ago, now=NOW) == chinese
    with translation.override("en"):
        assert relative_time(NOW - ago, now=NOW) == english


def test_countdowns_name_their_days() -> None:
    later = NOW + timedelta(days=13, hours=4, minutes=5, seconds=6)
    with translation.override("zh-hans"):
        assert countdown(later, now=NOW) == "13天 04:05:06"
        assert countdown(NOW + timedelta(minutes=2), now=NOW) == "00:02:00"
        assert countdown(NOW - timedelta(minutes=2), now=NOW) == "00:00:00"
        assert days_left(later, now=NOW) == "剩 14 天"
        assert days_left(NOW + timedelta(hours=3), now=NOW) == "今天结束"
        assert days_left(NOW - timedelta(hours=3), now=NOW) == "已结束"
    with translation.override("en"):
        assert countdown(later, now=NOW) == "13d 04:05:06"
        assert days_left(NOW + timedelta(days=2), now=NOW) == "2 days left"


@pytest.mark.parametrize(
    ("percent", "chinese"), [(10, "9折"), (15, "8.5折"), (50, "5折"), (5, "9.5折")]
)
def test_percent_off_reads_as_zhe_in_chinese(percent: int, chinese: str) -> None:
    with translation.override("zh-hans"):
        assert percent_off(percent) == chinese
    with translation.override("en"):
        assert percent_off(percent) == f"{percent}% off"


def test_filters_mark_content_and_keep_the_sentence_translated() -> None:
    template = Template(
        "{% load human i18n %}{{ name|notranslate }}|{{ sentence|notranslate_part:name }}|"
        "{{ when|ago }}|{{ 15|percent_off }}|{{ 150|times }}|{{ 125|times }}"
    )
    context = Context({"name": "<小鹿>", "sentence": "<小鹿> liked your note", "when": None})
    with translation.override("en"):
        assert template.render(context) == (
            '<span translate="no">&lt;小鹿&gt;</span>|'
            '<span translate="no">&lt;小鹿&gt;</span> liked your note||15% off|1.5|1.25'
        )
