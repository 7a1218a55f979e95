from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

from circlemart.recommend.bundle import forget_active_bundle


@pytest.fixture(autouse=True)
def _model_dir(tmp_path: Path) -> Iterator[Path]:
    """Each test trains into its own directory and starts with no model loaded."""
    directory = tmp_path / "recommend-models"
    with override_settings(RECOMMEND_MODEL_DIR=directory, RECOMMEND_SLOT_CHECK_SECONDS=0):
        forget_active_bundle()
        yield directory
    forget_active_bundle()


@pytest.fixture
def model_dir(_model_dir: Path) -> Path:
    return _model_dir


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons and refusals are compared in English here; a test about Chinese says so."""
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return english
