from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _keep_test_connections() -> Iterator[None]:
    """The consumer's database_sync_to_async closes "old" connections around each call; in
    tests that connection is the test database's (as channels.testing patches it too)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("channels.db.close_old_connections", lambda: None)
        yield
