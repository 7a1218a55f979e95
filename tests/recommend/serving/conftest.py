from collections.abc import Iterator

import pytest
from django.utils import translation

from circlemart.recommend.serving.catalogue import forget_facts
from tests.orders.conftest import _webhooks_in_process, drain, pay  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _fresh_facts() -> Iterator[None]:
    forget_facts()
    yield
    forget_facts()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Labels are compared in English (titles then read from the English title)."""
    with translation.override("en"):
        yield
