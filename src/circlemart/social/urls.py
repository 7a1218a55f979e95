from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from circlemart.social import views

app_name = "social"

urlpatterns: list[URLPattern | URLResolver] = [
    path("feed/", views.following_feed, name="feed"),
    path("discover/", views.discover_feed, name="discover"),
    path("notes/new/", views.note_compose, name="compose"),
    path("notes/new/products", views.product_picker, name="product-picker"),
    path("notes/<int:note_id>/", views.note_detail, name="note"),
    path("notes/<int:note_id>/like", views.note_like_toggle, name="note-like"),
    path("notes/<int:note_id>/favourite", views.note_favourite_toggle, name="note-favourite"),
    path("notes/<int:note_id>/comments", views.note_comment, name="note-comment"),
    path("notes/<int:note_id>/share", views.note_share, name="note-share"),
    path("notes/<int:note_id>/repost", views.note_repost, name="note-repost"),
    path("notes/<int:note_id>/delete", views.note_delete, name="note-delete"),
    path("notes/<int:note_id>/poster.png", views.note_poster, name="note-poster"),
    path("notes/<int:note_id>/circle-action", views.circle_note_action, name="note-circle-action"),
    path("u/<int:user_id>/", views.profile, name="profile"),
    path("u/<int:user_id>/follow", views.profile_follow, name="follow"),
    path("u/<int:user_id>/block", views.profile_block, name="block"),
    path("circles/", views.circles, name="circles"),
    path("circles/new/", views.circle_create, name="circle-create"),
    path("circles/<int:circle_id>/", views.circle_page, name="circle"),
    path("circles/<int:circle_id>/membership", views.circle_membership, name="circle-membership"),
    path("t/<str:name>/", views.topic_page, name="topic"),
    path("notes/about/<int:product_id>/", views.product_notes_block, name="product-notes"),
    path("t/<str:name>/follow", views.topic_follow_toggle, name="topic-follow"),
]
