"""Shopper pages that belong to no single context: the home page and health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from circlemart.accounts import selectors as account_selectors
from circlemart.social import selectors as social_selectors


def home(request: HttpRequest) -> HttpResponse:
    leaders = social_selectors.most_followed(limit=8)
    cards = account_selectors.user_cards([user_id for user_id, _ in leaders])
    creators = [
        {"card": cards[user_id], "followers": followers}
        for user_id, followers in leaders
        if user_id in cards
    ]
    context = {
        "creators": creators,
        "member_count": account_selectors.user_count(),
        "follow_count": social_selectors.edge_count(),
    }
    return render(request, "storefront/home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
