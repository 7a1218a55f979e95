from collections.abc import Iterator
from typing import Any

import pytest

from circlemart.recommend.bundle import use_bundle_for_tests
from tests.orders.conftest import _webhooks_in_process, drain, pay  # noqa: F401 (fixtures)
from tests.recommend.api.conftest import World, _fresh_facts, build_world  # noqa: F401


@pytest.fixture
def world(db: Any) -> Iterator[World]:
    built = build_world()
    with use_bundle_for_tests(built.bundle):
        yield built
