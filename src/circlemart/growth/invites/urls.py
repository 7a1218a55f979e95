"""Pages of invites, joined into the growth namespace (growth:invites, growth:invite_landing…)."""

from __future__ import annotations

from django.urls import URLPattern, path

from circlemart.growth.invites import views

urlpatterns: list[URLPattern] = [
    path("invites/", views.my_invites, name="invites"),
    path("i/<str:code>/", views.invite_landing, name="invite_landing"),
    path("i/<str:code>/accept/", views.invite_accept, name="invite_accept"),
    path("i/<str:code>/poster.png", views.invite_poster, name="invite_poster"),
]
