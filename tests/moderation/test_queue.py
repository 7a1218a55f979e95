"""The review queue: submissions, reports, decisions with their events, and role checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.moderation import selectors, services
from circlemart.moderation.contracts import Decision, DecisionView, ReviewStatus
from circlemart.moderation.models import Report, ReviewItem
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def submit(content_id: int = 1, *, priority: int = 0, content_type: str = "note") -> int:
    return services.review_submit(
        content_type=content_type,
        content_id=content_id,
        author_id=7,
        excerpt="加微信 领红包",
        reason="filter: spam",
        priority=priority,
    )


def report(reporter_id: int, content_id: int = 1, reason: str = "spam") -> int:
    return services.report_create(
        reporter_id=reporter_id,
        content_type="note",
        content_id=content_id,
        author_id=7,
        excerpt="加微信 领红包",
        reason=reason,
    )


def events() -> list[tuple[str, str, str, dict[str, object]]]:
    return [
        (row.event_type, row.aggregate_type, row.aggregate_id, row.payload)
        for row in OutboxEvent.objects.filter(aggregate_type="moderation_item").order_by("id")
    ]


class TestSubmit:
    def test_opens_an_item_with_an_sla(self):
        with override_settings(MODERATION_REVIEW_SLA_HOURS=6):
            item_id = submit(priority=3)
        item = selectors.item_by_id(item_id)
        assert item is not None
        assert (item.content_type, item.content_id, item.author_id) == ("note", 1, 7)
        assert (item.status, item.priority, item.report_count, item.source) == (
            ReviewStatus.OPEN,
            3,
            0,
            "filter",
        )
        assert item.due_at - item.created_at == timedelta(hours=6)
        assert item.is_overdue is False

    def test_idempotent_while_open_and_priority_only_rises(self):
        first = submit(priority=5)
        assert submit(priority=2) == first
        assert submit(priority=9) == first
        assert ReviewItem.objects.count() == 1
        assert ReviewItem.objects.get().priority == 9

    def test_a_decided_item_makes_room_for_a_new_one(self, moderator):
        first = submit()
        services.review_decide(
            moderator_id=moderator.pk, item_id=first, decision="approve", reason=""
        )
        second = submit()
        assert second != first
        assert list(ReviewItem.objects.order_by("id").values_list("status", flat=True)) == [
            "approved",
            "open",
        ]

    def test_owning_apps_name_their_own_content_types(self):
        item_id = submit(content_type="question")
        assert ReviewItem.objects.get(pk=item_id).content_type == "question"

    def test_malformed_content_type_refused(self):
        with pytest.raises(ValidationFailed) as caught:
            submit(content_type="Note; DROP")
        assert caught.value.field == "content_type"
        assert not ReviewItem.objects.exists()


class TestQueue:
    def test_ordered_by_priority_then_age(self):
        low_old = submit(1, priority=0)
        high = submit(2, priority=10)
        low_new = submit(3, priority=0)
        middle = submit(4, priority=5)
        assert [item.id for item in selectors.review_queue()] == [high, middle, low_old, low_new]
        assert [item.id for item in selectors.review_queue(limit=2, offset=1)] == [middle, low_old]
        assert selectors.review_queue_count() == 4

    def test_overdue_flag(self):
        with override_settings(MODERATION_REVIEW_SLA_HOURS=0):
            item_id = submit()
        item = selectors.item_by_id(item_id)
        assert item is not None
        assert item.is_overdue is True

    def test_filters_by_content_type(self):
        submit(1)
        comment = submit(1, content_type="comment")
        assert [item.id for item in selectors.review_queue(content_type="comment")] == [comment]


class TestReports:
    def test_first_report_opens_an_item(self):
        report_id = report(11)
        item = ReviewItem.objects.get()
        assert (item.source, item.report_count, item.priority, item.reason) == (
            "report",
            1,
            10,
            "spam",
        )
        assert Report.objects.get(pk=report_id).review_item_id == item.pk

    def test_reports_join_the_open_item_and_raise_its_priority(self):
        item_id = submit(priority=3)
        for reporter in (11, 12, 13):
            report(reporter)
        item = ReviewItem.objects.get()
        assert item.pk == item_id
        assert (item.report_count, item.priority, item.source) == (3, 33, "filter")
        assert [r.reporter_id for r in selectors.reports_for("note", 1)] == [11, 12, 13]
        assert {r.review_item_id for r in selectors.reports_for("note", 1)} == {item_id}

    def test_one_report_per_reporter_per_content(self):
        report(11)
        with pytest.raises(Conflict) as caught:
            report(11, reason="abuse")
        assert caught.value.code == "already_reported"
        assert Report.objects.count() == 1
        assert ReviewItem.objects.get().report_count == 1
        report(11, content_id=2)  # other content is fine
        assert Report.objects.count() == 2

    def test_no_report_of_own_content(self):
        with pytest.raises(ValidationFailed) as caught:
            report(7)
        assert caught.value.code == "own_content"
        assert not Report.objects.exists()
        assert not ReviewItem.objects.exists()

    def test_reason_from_the_fixed_list(self):
        with pytest.raises(ValidationFailed) as caught:
            report(11, reason="i-dont-like-it")
        assert caught.value.field == "reason"
        assert not Report.objects.exists()

    @override_settings(MODERATION_REPORT_PRIORITY_STEP=1)
    def test_priority_step_is_a_setting(self):
        report(11)
        report(12)
        assert ReviewItem.objects.get().priority == 2


class TestDecide:
    def test_approve_publishes_content_approved(self, moderator):
        item_id = submit(42)
        services.review_decide(
            moderator_id=moderator.pk, item_id=item_id, decision="approve", reason=""
        )
        item = ReviewItem.objects.get(pk=item_id)
        assert (item.status, item.decided_by_id, item.decision_reason) == (
            "approved",
            moderator.pk,
            "",
        )
        assert item.decided_at is not None
        assert events() == [
            (
                "moderation.ContentApproved",
                "moderation_item",
                "note:42",
                {"content_type": "note", "content_id": 42, "item_id": item_id},
            )
        ]

    def test_reject_publishes_content_rejected_with_the_reason(self, moderator):
        item_id = submit(42)
        services.review_decide(
            moderator_id=moderator.pk,
            item_id=item_id,
            decision=Decision.REJECT,
            reason="  Off-platform contact details\r\n",
        )
        assert events() == [
            (
                "moderation.ContentRejected",
                "moderation_item",
                "note:42",
                {
                    "content_type": "note",
                    "content_id": 42,
                    "item_id": item_id,
                    "reason": "Off-platform contact details",
                },
            )
        ]
        decision = selectors.decision_for("note", 42)
        assert decision == DecisionView(
            item_id=item_id,
            decision=Decision.REJECT,
            reason="Off-platform contact details",
            decided_at=ReviewItem.objects.get(pk=item_id).decided_at,
        )

    def test_reject_needs_a_reason(self, moderator):
        item_id = submit()
        with pytest.raises(ValidationFailed) as caught:
            services.review_decide(
                moderator_id=moderator.pk, item_id=item_id, decision="reject", reason=" \n "
            )
        assert (caught.value.code, caught.value.field) == ("required", "reason")
        assert ReviewItem.objects.get(pk=item_id).status == "open"
        assert events() == []

    def test_unknown_decision(self, moderator):
        item_id = submit()
        with pytest.raises(ValidationFailed) as caught:
            services.review_decide(
                moderator_id=moderator.pk, item_id=item_id, decision="delete", reason="x"
            )
        assert caught.value.field == "decision"
        assert events() == []

    def test_only_moderators_and_admins_decide(self, admin_user):
        item_id = submit()
        shopper = UserFactory()
        staff_without_role = UserFactory(is_staff=True)
        for user_id in (shopper.pk, staff_without_role.pk, 999_999):
            with pytest.raises(PermissionDenied):
                services.review_decide(
                    moderator_id=user_id, item_id=item_id, decision="approve", reason=""
                )
        assert ReviewItem.objects.get(pk=item_id).status == "open"
        assert events() == []
        services.review_decide(
            moderator_id=admin_user.pk, item_id=item_id, decision="approve", reason=""
        )
        assert ReviewItem.objects.get(pk=item_id).status == "approved"

    def test_inactive_moderator_refused(self, moderator):
        item_id = submit()
        moderator.is_active = False
        moderator.save(update_fields=["is_active"])
        with pytest.raises(PermissionDenied):
            services.review_decide(
                moderator_id=moderator.pk, item_id=item_id, decision="approve", reason=""
            )

    def test_decided_once(self, moderator):
        item_id = submit()
        services.review_decide(
            moderator_id=moderator.pk, item_id=item_id, decision="reject", reason="spam"
        )
        with pytest.raises(Conflict) as caught:
            services.review_decide(
                moderator_id=moderator.pk, item_id=item_id, decision="approve", reason=""
            )
        assert caught.value.code == "already_decided"
        assert ReviewItem.objects.get(pk=item_id).status == "rejected"
        assert len(events()) == 1

    def test_missing_item(self, moderator):
        with pytest.raises(NotFound):
            services.review_decide(
                moderator_id=moderator.pk, item_id=12345, decision="approve", reason=""
            )

    def test_decision_for_is_the_latest(self, moderator):
        assert selectors.decision_for("note", 1) is None
        first = submit()
        services.review_decide(
            moderator_id=moderator.pk, item_id=first, decision="reject", reason="spam"
        )
        second = submit()
        assert selectors.is_under_review("note", 1) is True
        services.review_decide(
            moderator_id=moderator.pk, item_id=second, decision="approve", reason="appeal ok"
        )
        decision = selectors.decision_for("note", 1)
        assert decision is not None
        assert (decision.item_id, decision.decision, decision.reason) == (
            second,
            Decision.APPROVE,
            "appeal ok",
        )
        assert selectors.is_under_review("note", 1) is False
