"""HTML fragments of the recommendation surfaces (/rec/…), loaded by htmx into cached pages."""

from django.urls import URLPattern, path

from circlemart.recommend import views

app_name = "recommend"
urlpatterns: list[URLPattern] = [
    path("for-you/", views.for_you, name="for-you"),
    path("interests/", views.interests, name="interests"),
    path("products/<int:product_id>/", views.product_sections, name="product"),
    path("products/<int:product_id>/seen/", views.product_seen, name="product-seen"),
    path("cart-addons/", views.cart_addons, name="cart-addons"),
    path("buy-again/", views.buy_again_page, name="buy-again"),
    path("buy-again/strip/", views.buy_again_strip, name="buy-again-strip"),
    path("settings/personalisation/", views.personalisation, name="personalisation"),
]
