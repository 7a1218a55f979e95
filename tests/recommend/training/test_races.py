"""Two trainings started at the same instant on PostgreSQL: the database lets one through."""

from __future__ import annotations

import uuid

import pytest

from circlemart.analytics import services as analytics_services
from circlemart.analytics.contracts import EventRecord
from circlemart.core import clock
from circlemart.core.errors import Conflict
from circlemart.recommend.models import ModelVersion
from circlemart.recommend.training.job import TrainingOptions, TrainingOutcome, training_run
from tests.accounts.factories import UserFactory
from tests.accounts.test_races import run_together
from tests.catalog import factories as catalog_factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _views() -> None:
    products = [catalog_factories.product(title=f"商品{n}") for n in range(4)]
    users = [UserFactory() for _ in range(3)]
    analytics_services.events_record(
        [
            EventRecord(
                name="product_view",
                origin="client",
                occurred_at=clock.now(),
                event_id=uuid.uuid4(),
                user_id=user.pk,
                object_id=str(product.pk),
            )
            for user in users
            for product in products[: 2 + user.pk % 2]
        ]
    )


def test_two_trainings_at_once_make_one_version() -> None:
    _views()
    options = TrainingOptions(validate=False)

    results = run_together(2, lambda _i: training_run(options=options))

    done = [r for r in results if isinstance(r, TrainingOutcome)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].code == "training_running"
    assert list(ModelVersion.objects.values_list("pk", "status")) == [(done[0].version_id, "ready")]
