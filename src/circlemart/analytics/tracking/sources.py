"""Traffic source of a visit, decided by its first request: campaign UTM (paid media → ad),
a share link and its sharer, a search engine, a social network, another site, or direct."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from circlemart.social.selectors import share_token_decode

# utm_medium values that mean paid placement.
AD_MEDIUMS = frozenset(
    {"cpc", "ppc", "paid", "ad", "ads", "cpm", "cpa", "display", "paidsocial", "paid_social"}
)
# Registrable names (the label left of the public suffix is matched on any suffix:
# google.com, google.com.hk, google.co.uk).
SEARCH_ENGINES = frozenset(
    {
        "baidu",
        "google",
        "bing",
        "sogou",
        "so",
        "sm",
        "yandex",
        "duckduckgo",
        "yahoo",
        "naver",
        "ecosia",
        "360",
    }
)
SOCIAL_NETWORKS = frozenset(
    {
        "weibo",
        "weixin",
        "wechat",
        "xiaohongshu",
        "xhslink",
        "douyin",
        "qq",
        "zhihu",
        "bilibili",
        "kuaishou",
        "douban",
        "facebook",
        "fb",
        "x",
        "twitter",
        "t",
        "instagram",
        "tiktok",
        "linkedin",
        "reddit",
        "pinterest",
        "youtube",
        "whatsapp",
        "telegram",
        "line",
    }
)
# Second-level labels under which the registrable name sits one label further left.
_SECOND_LEVEL = frozenset({"com", "co", "net", "org", "gov", "edu", "ac"})
# Hosts whose first label is the search engine itself rather than a sub-site.
_MULTI_LABEL_SEARCH = ("so.com", "m.so.com", "sm.cn", "search.yahoo.com")


@dataclass(frozen=True)
class SourceInfo:
    source: str  # TrackedSession.Source value
    referrer_host: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    sharer_id: int | None = None


def host_of(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def registrable_label(host: str) -> str:
    """The site's own name in a host: www.google.com.hk → google, m.weibo.cn → weibo,
    t.co → t, so.com → so."""
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2:
        return labels[0] if labels else ""
    labels = labels[:-1]  # drop the top-level domain
    if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    return labels[-1]


def _is_own(host: str, own_hosts: Collection[str]) -> bool:
    return any(host == own or host.endswith("." + own) for own in own_hosts if own)


def source_classify(
    *, query: Mapping[str, str], referrer: str, own_hosts: Collection[str]
) -> SourceInfo:
    """Classify the first request of a visit. UTM tags win (the marketer said what it is),
    then a share token, then the referrer's host."""
    utm = {key: str(query.get(f"utm_{key}", ""))[:100] for key in ("source", "medium", "campaign")}
    host = host_of(referrer)
    external = host if host and not _is_own(host, own_hosts) else ""
    if any(utm.values()):
        paid = utm["medium"].strip().lower() in AD_MEDIUMS
        return SourceInfo(
            source="ad" if paid else "campaign",
            referrer_host=external,
            utm_source=utm["source"],
            utm_medium=utm["medium"],
            utm_campaign=utm["campaign"],
        )
    token = str(query.get("s", ""))
    if token:
        decoded = share_token_decode(token)
        if decoded is not None:
            return SourceInfo(source="share", referrer_host=external, sharer_id=decoded.sharer_id)
    if not external:
        return SourceInfo(source="direct")
    name = registrable_label(external)
    if name in SEARCH_ENGINES or external.endswith(_MULTI_LABEL_SEARCH):
        return SourceInfo(source="search", referrer_host=external)
    if name in SOCIAL_NETWORKS:
        return SourceInfo(source="social", referrer_host=external)
    return SourceInfo(source="referral", referrer_host=external)
