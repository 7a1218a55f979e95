"""Game pages (joined into the growth namespace by growth.urls)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.growth.games import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("games/", views.games, name="games"),
    path("games/my-prizes/", views.my_prizes, name="game-prizes"),
    path("games/<slug:slug>/", views.game, name="game"),
    path("games/<slug:slug>/play/", views.play, name="game-play"),
    path("games/<slug:slug>/chances/", views.buy_chance, name="game-buy-chance"),
]
