"""Pages of growth under /growth/: each mechanism's urlpatterns joined in one namespace, so
names read growth:points, growth:invites, growth:checkin…"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.growth import views
from circlemart.growth.checkin import urls as checkin_urls
from circlemart.growth.distribution import urls as distribution_urls
from circlemart.growth.games import urls as games_urls
from circlemart.growth.invites import urls as invites_urls
from circlemart.growth.levels import urls as levels_urls
from circlemart.growth.mall import urls as mall_urls
from circlemart.growth.points import urls as points_urls
from circlemart.growth.tasks_centre import urls as tasks_centre_urls

app_name = "growth"

urlpatterns: list[URLPattern | URLResolver] = [path("", views.hub, name="hub")]
# One line per mechanism: urlpatterns += points_urls.urlpatterns
urlpatterns += points_urls.urlpatterns
urlpatterns += levels_urls.urlpatterns
urlpatterns += checkin_urls.urlpatterns
urlpatterns += tasks_centre_urls.urlpatterns
urlpatterns += games_urls.urlpatterns
urlpatterns += mall_urls.urlpatterns
urlpatterns += invites_urls.urlpatterns
urlpatterns += distribution_urls.urlpatterns
