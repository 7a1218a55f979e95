"""Pages of distribution, joined into the growth namespace (growth:distribution, …)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.growth.distribution import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("distribution/", views.centre, name="distribution"),
    path("distribution/apply/", views.apply, name="distribution_apply"),
    path("distribution/links/", views.link_create, name="distribution_link_create"),
    path("distribution/withdraw/", views.withdraw, name="distribution_withdraw"),
    path("distribution/statement.csv", views.statement, name="distribution_statement"),
    path("d/<str:token>/", views.link_open, name="distribution_link"),
]
