"""Traffic source of a visit: UTM tags, share links, search engines, social networks,
other sites and direct visits."""

from __future__ import annotations

import pytest

from circlemart.analytics.tracking.sources import SourceInfo, source_classify
from circlemart.social.services import share_token_encode

OWN = ["circlemart.example", "testserver"]


@pytest.mark.parametrize(
    ("referrer", "source", "host"),
    [
        ("", "direct", ""),
        ("https://circlemart.example/p/4/", "direct", ""),
        ("https://m.circlemart.example/", "direct", ""),
        ("https://www.baidu.com/s?wd=shoes", "search", "www.baidu.com"),
        ("https://www.google.com.hk/", "search", "www.google.com.hk"),
        ("https://www.google.co.uk/search?q=x", "search", "www.google.co.uk"),
        ("https://cn.bing.com/search?q=x", "search", "cn.bing.com"),
        ("https://www.sogou.com/web?query=x", "search", "www.sogou.com"),
        ("https://www.so.com/s?q=x", "search", "www.so.com"),
        ("https://yandex.ru/search/?text=x", "search", "yandex.ru"),
        ("https://duckduckgo.com/", "search", "duckduckgo.com"),
        ("https://weibo.com/u/1", "social", "weibo.com"),
        ("https://m.weibo.cn/status/1", "social", "m.weibo.cn"),
        ("https://mp.weixin.qq.com/s/abc", "social", "mp.weixin.qq.com"),
        ("https://www.xiaohongshu.com/explore/1", "social", "www.xiaohongshu.com"),
        ("https://www.douyin.com/video/1", "social", "www.douyin.com"),
        ("https://t.co/abc", "social", "t.co"),
        ("https://x.com/someone", "social", "x.com"),
        ("https://l.facebook.com/l.php", "social", "l.facebook.com"),
        ("https://www.instagram.com/", "social", "www.instagram.com"),
        ("https://www.tiktok.com/@a", "social", "www.tiktok.com"),
        ("https://blog.example.org/best-shops", "referral", "blog.example.org"),
        ("https://news.sina.com.cn/x", "referral", "news.sina.com.cn"),
        ("not a url", "direct", ""),
    ],
)
def test_referrer_decides_the_source(referrer: str, source: str, host: str) -> None:
    info = source_classify(query={}, referrer=referrer, own_hosts=OWN)

    assert (info.source, info.referrer_host) == (source, host)


@pytest.mark.parametrize(
    ("medium", "source"),
    [
        ("email", "campaign"),
        ("newsletter", "campaign"),
        ("social", "campaign"),
        ("cpc", "ad"),
        ("PPC", "ad"),
        ("paid", "ad"),
        ("ad", "ad"),
        ("", "campaign"),
    ],
)
def test_utm_tags_win_over_the_referrer(medium: str, source: str) -> None:
    query = {"utm_source": "baidu", "utm_medium": medium, "utm_campaign": "double11"}

    info = source_classify(query=query, referrer="https://www.baidu.com/s", own_hosts=OWN)

    assert info == SourceInfo(
        source=source,
        referrer_host="www.baidu.com",
        utm_source="baidu",
        utm_medium=medium,
        utm_campaign="double11",
    )


@pytest.mark.django_db
def test_a_share_link_names_its_sharer() -> None:
    token = share_token_encode(note_id=7, sharer_id=31, channel="wechat")

    info = source_classify(
        query={"s": token}, referrer="https://mp.weixin.qq.com/s/x", own_hosts=OWN
    )

    assert (info.source, info.sharer_id, info.referrer_host) == ("share", 31, "mp.weixin.qq.com")


def test_a_forged_share_token_falls_back_to_the_referrer() -> None:
    info = source_classify(
        query={"s": "forged:token"}, referrer="https://weibo.com/", own_hosts=OWN
    )

    assert (info.source, info.sharer_id) == ("social", None)
