"""Which tab of the phone tab bar (and which header link) the current page belongs to."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

register = template.Library()

# (namespace, url name or "*") → tab. The first match wins; pages not listed mark no tab.
TAB_OF_VIEW: dict[tuple[str, str], str] = {
    ("storefront", "home"): "home",
    ("social", "compose"): "post",
    ("social", "circles"): "circles",
    ("social", "circle"): "circles",
    ("social", "circle-create"): "circles",
    ("social", "*"): "discover",
    ("notifications", "*"): "messages",
    ("accounts", "profile"): "me",
    ("accounts", "profile-edit"): "me",
    ("accounts", "addresses"): "me",
    ("accounts", "address-edit"): "me",
    ("accounts", "password-change"): "me",
    ("orders", "list"): "me",
    ("orders", "detail"): "me",
    ("promotions", "my-coupons"): "me",
    ("promotions", "my-groups"): "me",
    ("promotions", "flash-now"): "flash",
    ("promotions", "claim-centre"): "coupons",
    ("promotions", "bargain-deals"): "bargain",
    ("storefront", "group-deals"): "group",
    ("live", "*"): "live",
}


def tab_for(namespace: str, url_name: str) -> str:
    return TAB_OF_VIEW.get((namespace, url_name)) or TAB_OF_VIEW.get((namespace, "*")) or ""


@register.simple_tag(takes_context=True)
def current_tab(context: template.Context) -> str:
    """{% current_tab as tab %} → "home", "discover", "post", "messages", "me", a header
    section ("circles", "flash", "coupons", "group", "bargain") or ""."""
    request: HttpRequest | None = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return tab_for(match.namespace or "", match.url_name or "")
