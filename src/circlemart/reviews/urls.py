from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.reviews import views

app_name = "reviews"

urlpatterns: list[URLPattern | URLResolver] = [
    path("new/<int:order_line_id>/", views.review_new, name="new"),
    path("products/<int:product_id>/", views.product_reviews, name="product"),
    path("products/<int:product_id>/more/", views.product_reviews_more, name="product-more"),
    path("products/<int:product_id>/block/", views.product_block, name="product-block"),
    path("products/<int:product_id>/questions/", views.product_questions, name="questions"),
    path("questions/<int:question_id>/", views.question_page, name="question"),
    path("answers/<int:answer_id>/best/", views.answer_best, name="answer-best"),
    path("<int:review_id>/", views.review_page, name="review"),
    path("<int:review_id>/helpful/", views.review_helpful, name="helpful"),
    path("<int:review_id>/follow-up/", views.review_follow_up, name="follow-up"),
]
