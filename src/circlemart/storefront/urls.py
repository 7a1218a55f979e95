from django.urls import path

from circlemart.storefront import views

app_name = "storefront"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/<int:product_id>/", views.product_page, name="product"),
    path("c/<slug:slug>/", views.category_page, name="category"),
    path("search/", views.search_page, name="search"),
    path("search/suggest", views.search_suggestions, name="suggest"),
    path("deals/group/", views.group_deals, name="group-deals"),
    path("healthz", views.healthz, name="healthz"),
]
