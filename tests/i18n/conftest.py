"""The orders fixtures (paying through the test gateway, draining the outbox) and the social
ones (fresh word matcher, SQL feeds) for the rendered-language check's world."""

from __future__ import annotations

from tests.orders.conftest import (  # noqa: F401  (fixtures re-exported for these tests)
    _webhooks_in_process,
    act,
    drain,
    pay,
)
from tests.social.conftest import _feed_backend, _fresh_word_matcher  # noqa: F401
