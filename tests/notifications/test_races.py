"""Races on real PostgreSQL with real threads: one group per note, exact actor counts."""

from __future__ import annotations

import pytest
from django.db import transaction

from circlemart.core.events import publish, relay_pending
from circlemart.notifications import services
from circlemart.notifications.contracts import NotificationKind, TargetType
from circlemart.notifications.models import Notification, NotificationActor
from circlemart.social.events import NoteLiked
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_simultaneous_likes_make_one_group_with_thirty_actors():
    author = UserFactory()
    fans = [UserFactory() for _ in range(30)]

    def like(index: int) -> bool:
        return services.notification_record(
            recipient_id=author.pk,
            kind=NotificationKind.NOTE_LIKE,
            target_type=TargetType.NOTE,
            target_id=77,
            note_id=77,
            actor_id=fans[index].pk,
        )

    results = run_together(30, like)
    assert results == [True] * 30
    group = Notification.objects.get(recipient=author)
    assert group.actor_count == 30
    assert NotificationActor.objects.filter(notification=group).count() == 30
    assert len(group.latest_actor_ids) == 3


def test_the_same_like_recorded_by_racing_relays_counts_once():
    author, fan = UserFactory(), UserFactory()

    def like(index: int) -> bool:
        return services.notification_record(
            recipient_id=author.pk,
            kind=NotificationKind.NOTE_LIKE,
            target_type=TargetType.NOTE,
            target_id=5,
            actor_id=fan.pk,
        )

    results = run_together(10, like)
    assert sorted(results) == [False] * 9 + [True]
    assert Notification.objects.get(recipient=author).actor_count == 1


def test_parallel_relays_of_thirty_like_events_count_each_liker_once():
    author = UserFactory()
    fans = [UserFactory() for _ in range(30)]
    with transaction.atomic():
        for fan in fans:
            publish(NoteLiked(note_id=9, note_author_id=author.pk, actor_id=fan.pk))
    run_together(6, lambda index: relay_pending(batch_size=5))
    relay_pending()
    group = Notification.objects.get(recipient=author)
    assert group.actor_count == 30
    assert NotificationActor.objects.filter(notification=group).count() == 30
