"""Shared by every growth test: messages the services write (refusal reasons, notification
excerpts) are compared in English; pages choose their language per request as always."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    """pytest-django's client, asking for English pages (the site's default is Chinese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")
