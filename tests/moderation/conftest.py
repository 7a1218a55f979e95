"""Fixtures of the moderation tests: a known word list, moderators and content sources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group

from circlemart.accounts import services as accounts_services
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.moderation import services, wordfilter
from circlemart.moderation.contracts import ContentRef
from circlemart.moderation.models import SensitiveWord
from tests.accounts.factories import UserFactory

# Each test's transaction is rolled back, generation numbers included, so a matcher built in
# one test could carry a generation number that a later test reaches with other words.
# (In production generations only grow.)


@pytest.fixture(autouse=True)
def _fresh_matcher() -> Iterator[None]:
    wordfilter._current = None
    yield
    wordfilter._current = None


@pytest.fixture
def words(db: None) -> None:
    """Replace the starter list with a small known one."""
    SensitiveWord.objects.all().delete()
    for word, category, action in [
        ("加微信", "spam", "review"),
        ("赌博网站", "gambling", "block"),
        ("click here to win", "spam", "block"),
        ("傻逼", "abuse", "mask"),
        ("idiot", "abuse", "mask"),
        ("ass", "abuse", "mask"),
    ]:
        services.word_upsert(word=word, category=category, action=action)


@pytest.fixture
def admin_user(db: None) -> User:
    admin = UserFactory(email="root@example.com", is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    return admin


@pytest.fixture
def moderator(admin_user: User) -> User:
    user = UserFactory(email="mod@example.com")
    accounts_services.role_grant(actor=admin_user, user=user, role=Role.MODERATOR)
    return User.objects.get(pk=user.pk)


NOTES: dict[int, ContentRef] = {}


@pytest.fixture
def notes() -> Iterator[dict[int, ContentRef]]:
    """A stand-in for social's registered note source: {note id: ContentRef}."""
    NOTES.clear()
    previous = services._content_sources.get("note")
    services.content_source_register(content_type="note", resolver=NOTES.get)
    yield NOTES
    NOTES.clear()
    if previous is None:
        services._content_sources.pop("note", None)
    else:
        services._content_sources["note"] = previous
