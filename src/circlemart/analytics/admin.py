"""Back office of analytics. Each mechanism keeps its admin classes in its own room and is
registered here, one self-contained section each."""

from __future__ import annotations

from django.contrib import admin

# --- Growth goals (analytics.goals) ---------------------------------------------------------
from circlemart.analytics.goals.admin import GrowthGoalAdmin
from circlemart.analytics.models import GrowthGoal

admin.site.register(GrowthGoal, GrowthGoalAdmin)

# --- Channel spend (analytics.metrics) ------------------------------------------------------
from circlemart.analytics.metrics.admin import ChannelSpendAdmin  # noqa: E402
from circlemart.analytics.models import ChannelSpend  # noqa: E402

admin.site.register(ChannelSpend, ChannelSpendAdmin)

# --- Scheduled dashboard reports (analytics.dashboards) ---------------------------------------
from circlemart.analytics.dashboards.admin import ReportSubscriptionAdmin  # noqa: E402
from circlemart.analytics.models import ReportSubscription  # noqa: E402

admin.site.register(ReportSubscription, ReportSubscriptionAdmin)
