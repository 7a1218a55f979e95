from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.orders import views

app_name = "orders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.order_list, name="list"),
    path("checkout/", views.checkout, name="checkout"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("<str:number>/pay/", views.order_pay, name="pay"),
    path("<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("<str:number>/confirm/", views.order_confirm, name="confirm"),
    path("<str:number>/after-sales/", views.after_sales_new, name="after-sales"),
    path(
        "<str:number>/after-sales/<int:request_id>/",
        views.after_sales_action,
        name="after-sales-action",
    ),
]
