from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.promotions.bargain import views as bargain_views
from circlemart.promotions.coupons import views as coupon_views
from circlemart.promotions.flash import views as flash_views
from circlemart.promotions.group import views as group_views

app_name = "promotions"

urlpatterns: list[URLPattern | URLResolver] = [
    path("coupons/", coupon_views.claim_centre, name="claim-centre"),
    path("coupons/<int:template_id>/claim/", coupon_views.coupon_claim, name="claim"),
    path("me/", coupon_views.my_coupons, name="my-coupons"),
    path("redeem/", coupon_views.redeem, name="redeem"),
    path("flash/", flash_views.flash_now, name="flash-now"),
    path("flash/<int:item_id>/buy/", flash_views.flash_buy, name="flash-buy"),
    path("groups/deals/<int:deal_id>/", group_views.deal_page, name="group-deal"),
    path("groups/deals/<int:deal_id>/open/", group_views.group_open, name="group-open"),
    path("groups/mine/", group_views.my_groups, name="my-groups"),
    path("groups/<int:group_id>/", group_views.group_page, name="group"),
    path("groups/<int:group_id>/join/", group_views.group_join, name="group-join"),
    path("groups/<int:group_id>/poster.png", group_views.group_poster, name="group-poster"),
    path("on-product/<int:product_id>/", group_views.on_product, name="on-product"),
    path("bargains/", bargain_views.bargain_deals, name="bargain-deals"),
    path("bargains/<int:deal_id>/", bargain_views.bargain_deal, name="bargain-deal"),
    path("bargains/<int:deal_id>/start/", bargain_views.bargain_start, name="bargain-start"),
    path("bargains/b/<int:bargain_id>/", bargain_views.bargain_detail, name="bargain"),
    path("bargains/b/<int:bargain_id>/help/", bargain_views.bargain_help, name="bargain-help"),
    path("bargains/b/<int:bargain_id>/buy/", bargain_views.bargain_buy, name="bargain-buy"),
]
