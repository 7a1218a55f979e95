"""Back office of analytics. Each mechanism keeps its admin classes in its own room; they
are registered here."""

from __future__ import annotations

from django.contrib import admin

from circlemart.analytics.dashboards.admin import ReportSubscriptionAdmin
from circlemart.analytics.goals.admin import GrowthGoalAdmin
from circlemart.analytics.metrics.admin import ChannelSpendAdmin
from circlemart.analytics.models import (
    ChannelSpend,
    GrowthGoal,
    ReportSubscription,
    TrackingConsent,
)
from circlemart.analytics.tracking.admin import TrackingConsentAdmin

admin.site.register(GrowthGoal, GrowthGoalAdmin)
admin.site.register(ChannelSpend, ChannelSpendAdmin)
admin.site.register(ReportSubscription, ReportSubscriptionAdmin)
admin.site.register(TrackingConsent, TrackingConsentAdmin)
