"""The task centre: progress counted from domain events (idempotent: the same event twice,
or the same object twice, counts once), periods in GROWTH_TIME_ZONE, claims paid once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

import pytest
from django.db import transaction

from circlemart.accounts import services as account_services
from circlemart.core.errors import Conflict, NotFound
from circlemart.core.events import DeliveredEvent, publish, relay_pending
from circlemart.core.models import OutboxEvent
from circlemart.growth.checkin import selectors as checkin_selectors
from circlemart.growth.checkin import services as checkin_services
from circlemart.growth.models import RewardGrant
from circlemart.growth.points import selectors as points_selectors
from circlemart.growth.tasks_centre import handlers, selectors, services
from circlemart.growth.tasks_centre.contracts import TaskEvent
from circlemart.growth.tasks_centre.models import TaskDefinition, TaskProgress, TaskStep
from circlemart.orders.events import OrderPaid
from circlemart.social import services as social_services
from circlemart.social.events import UserFollowed
from tests.accounts.factories import UserFactory
from tests.growth.checkin.conftest import local
from tests.promotions.conftest import template
from tests.social.helpers import image_upload, note

pytestmark = pytest.mark.django_db
Clock = Callable[[datetime], None]


def card(user_id: int, code: str) -> tuple[int, bool, bool, bool]:
    tasks = selectors.task_list(user_id=user_id)
    found = next(c for c in [*tasks.newcomer, *tasks.daily, *tasks.weekly] if c.code == code)
    return found.progress, found.is_completed, found.may_claim, found.is_claimed


def test_following_three_people_completes_the_newcomer_task(tasks: dict) -> None:
    user, *people = [UserFactory() for _ in range(4)]
    for person in people[:2]:
        social_services.follow_create(follower_id=user.pk, followee_id=person.pk)
    relay_pending()
    assert card(user.pk, "follow_3") == (2, False, False, False)
    # Unfollowing and following the same person again counts once.
    social_services.follow_delete(follower_id=user.pk, followee_id=people[0].pk)
    social_services.follow_create(follower_id=user.pk, followee_id=people[0].pk)
    relay_pending()
    assert card(user.pk, "follow_3") == (2, False, False, False)
    social_services.follow_create(follower_id=user.pk, followee_id=people[2].pk)
    relay_pending()
    assert card(user.pk, "follow_3") == (3, True, True, False)
    completed = OutboxEvent.objects.filter(event_type="growth.TaskCompleted")
    assert [row.payload for row in completed] == [
        {"user_id": user.pk, "task_code": "follow_3", "task_kind": "newcomer", "period": ""}
    ]
    # The followee's own progress is untouched.
    assert not TaskProgress.objects.filter(user=people[0]).exists()


def test_an_event_delivered_twice_counts_once(tasks: dict) -> None:
    user, person = UserFactory(), UserFactory()
    delivered = DeliveredEvent(
        event_id=uuid.uuid4(),
        occurred_at=local(2025, 5, 3, 12, 0),
        event=UserFollowed(follower_id=user.pk, followee_id=person.pk),
    )
    handlers.count_task_event(delivered)
    handlers.count_task_event(delivered)
    progress = TaskProgress.objects.get(user=user, task__code="follow_3")
    assert (progress.count, progress.period) == (1, "")
    assert list(TaskStep.objects.values_list("object_key", flat=True)) == [f"user:{person.pk}"]


def test_claim_pays_once_and_refuses_unfinished_and_repeated_claims(tasks: dict) -> None:
    user = UserFactory()
    with pytest.raises(Conflict) as unfinished:
        services.task_claim(user_id=user.pk, code="first_order")
    assert (unfinished.value.code, unfinished.value.field) == ("task_not_completed", "task")
    with transaction.atomic():
        publish(OrderPaid(order_number="CM1", buyer_id=user.pk, amount=5000))
    relay_pending()
    claimed = services.task_claim(user_id=user.pk, code="first_order")
    assert (claimed.code, claimed.period, claimed.points) == ("first_order", "", 100)
    assert points_selectors.points_balance(user.pk) == 100
    with pytest.raises(Conflict) as again:
        services.task_claim(user_id=user.pk, code="first_order")
    assert (again.value.code, again.value.field) == ("task_already_claimed", "task")
    assert points_selectors.points_balance(user.pk) == 100
    assert list(RewardGrant.objects.values_list("reason", "points", "idempotency_key")) == [
        ("task", 100, f"task:{user.pk}:first_order:once")
    ]
    assert card(user.pk, "first_order") == (1, True, False, True)
    # A second paid order adds nothing to a finished task.
    with transaction.atomic():
        publish(OrderPaid(order_number="CM2", buyer_id=user.pk, amount=5000))
    relay_pending()
    assert TaskProgress.objects.get(user=user, task__code="first_order").count == 1


def test_claiming_an_unknown_or_inactive_task_is_not_found(tasks: dict) -> None:
    user = UserFactory()
    TaskDefinition.objects.filter(code="like_3").update(is_active=False)
    for code in ("nope", "like_3"):
        with pytest.raises(NotFound) as refused:
            services.task_claim(user_id=user.pk, code=code)
        assert (refused.value.code, refused.value.field) == ("task_not_found", "task")


def test_a_claim_whose_coupon_cannot_be_given_writes_nothing(tasks: dict) -> None:
    user = UserFactory()
    sold_out = template(is_public=False, total_quantity=0)
    TaskDefinition.objects.filter(code="first_order").update(coupon_template_id=sold_out.pk)
    services.task_event_record(
        user_id=user.pk, event=TaskEvent.ORDER_PAID, object_key="order:CM9", day=date(2025, 5, 3)
    )
    with pytest.raises(Conflict):
        services.task_claim(user_id=user.pk, code="first_order")
    assert points_selectors.points_balance(user.pk) == 0
    assert RewardGrant.objects.count() == 0
    assert card(user.pk, "first_order") == (1, True, True, False)  # still claimable


def test_daily_tasks_count_per_day_in_the_growth_time_zone(at: Clock, tasks: dict) -> None:
    user, author = UserFactory(), UserFactory()
    notes = [note(author, text=f"note {n}") for n in range(4)]
    relay_pending()  # before the clock is set back: events wait for their available_at
    at(local(2025, 5, 3, 23, 59, 59))
    for written in notes[:2]:
        social_services.note_like(user_id=user.pk, note_id=written.pk)
    relay_pending()
    assert card(user.pk, "like_3") == (2, False, False, False)
    at(local(2025, 5, 4, 0, 0, 0))
    assert card(user.pk, "like_3") == (0, False, False, False)  # a new day, a new count
    social_services.note_like(user_id=user.pk, note_id=notes[2].pk)
    relay_pending()
    assert list(
        TaskProgress.objects.filter(user=user).order_by("period").values_list("period", "count")
    ) == [("2025-05-03", 2), ("2025-05-04", 1)]


def test_liking_ones_own_note_does_not_count(tasks: dict) -> None:
    user = UserFactory()
    social_services.note_like(user_id=user.pk, note_id=note(user).pk)
    relay_pending()
    assert not TaskProgress.objects.filter(user=user).exists()


def test_check_ins_progress_daily_and_weekly_tasks_and_a_card_reward(
    at: Clock, tasks: dict
) -> None:
    user = UserFactory()
    for day in (5, 6, 7):  # Monday to Wednesday of 2025-W19
        at(local(2025, 5, day, 9, 0))
        checkin_services.checkin_today(user_id=user.pk)
        relay_pending()
    assert card(user.pk, "daily_checkin") == (1, True, True, False)
    assert card(user.pk, "weekly_checkin") == (3, True, True, False)
    assert TaskProgress.objects.get(user=user, task__code="weekly_checkin").period == "2025-W19"
    claimed = services.task_claim(user_id=user.pk, code="weekly_checkin")
    assert (claimed.points, claimed.make_up_cards) == (0, 1)
    assert checkin_selectors.make_up_cards(user.pk) == 1
    # A make-up check-in does not count as today's check-in.
    at(local(2025, 5, 9, 9, 0))
    checkin_services.checkin_make_up(user_id=user.pk, day=date(2025, 5, 8))
    relay_pending()
    assert card(user.pk, "daily_checkin") == (0, False, False, False)


def test_completing_the_profile_counts_once_when_avatar_bio_and_city_are_set(
    tasks: dict,
) -> None:
    user = UserFactory()
    account_services.profile_update(user=user, bio="爱喝茶", city="杭州")
    relay_pending()
    assert card(user.pk, "profile") == (0, False, False, False)
    account_services.avatar_set(user=user, upload=image_upload())
    relay_pending()
    assert card(user.pk, "profile") == (1, True, True, False)
    account_services.profile_update(user=user, bio="爱喝龙井")
    relay_pending()
    assert TaskProgress.objects.get(user=user, task__code="profile").count == 1


def test_the_task_list_shows_each_kind_in_its_current_period(at: Clock, tasks: dict) -> None:
    user = UserFactory()
    at(local(2025, 5, 4, 12, 0))
    listing = selectors.task_list(user_id=user.pk)
    assert [c.code for c in listing.newcomer] == ["follow_3", "profile", "first_order"]
    assert [(c.code, c.period) for c in listing.daily] == [
        ("daily_checkin", "2025-05-04"),
        ("like_3", "2025-05-04"),
    ]
    assert [(c.code, c.period) for c in listing.weekly] == [("weekly_checkin", "2025-W18")]
    assert selectors.open_claims(user_id=user.pk) == 0
