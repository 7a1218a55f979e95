from django.contrib import admin
from unfold.admin import ModelAdmin

from circlemart.social.models import Follow


@admin.register(Follow)
class FollowAdmin(ModelAdmin):
    list_display = ("follower", "followee", "created_at")
    raw_id_fields = ("follower", "followee")
    list_select_related = ("follower", "followee")
