"""The demo notes: drawn covers stored as note images, real titles and bodies in one language
each, circles whose lists differ, and a second run that adds nothing."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from circlemart.social import covers
from circlemart.social.models import Circle, Note, NoteImage
from circlemart.social.seed import TitlePlanner, note_body, seed_content
from circlemart.social.seed_texts import THEMES
from tests.accounts.factories import UserFactory
from tests.catalog import factories as catalog

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.django_db
def test_seed_content_draws_covers_and_writes_distinct_real_notes(
    settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    users = [UserFactory().pk for _ in range(60)]
    products = [catalog.product().pk for _ in range(3)]

    created = seed_content(
        rng=random.Random(7), user_ids=users, product_ids=products, progress=False
    )

    assert created == 30 == Note.objects.count()
    notes = list(Note.objects.prefetch_related("images"))
    titles = [note.title for note in notes]
    assert len(set(titles)) == len(titles)  # no repeated template titles
    for note in notes:
        assert note.images.exists()  # every note has a cover
        cover = note.images.all()[0]
        assert (cover.width, cover.height) in {(540, 720), (540, 540)}
        assert (tmp_path / cover.image.name).is_file()
        assert (tmp_path / cover.thumbnail.name).is_file()
        if CJK.search(note.title):
            assert 10 <= len(note.title) <= 25, note.title
        else:
            assert 20 <= len(note.title) <= 60, note.title
            assert not CJK.search(note.text.split("\n#")[0])  # one language per note
        assert not note.title.endswith(("…", " "))
        assert note.text.count("\n#") == 1
    with Image.open(tmp_path / notes[0].images.all()[0].thumbnail.name) as thumb:
        assert thumb.format == "WEBP"
        assert max(thumb.size) <= 480
    # Covers are drawn once and shared between notes of a theme.
    assert NoteImage.objects.values("image").distinct().count() <= 120
    assert Circle.objects.exclude(cover="").count() == Circle.objects.count() == 10

    files = sorted(path.name for path in tmp_path.rglob("*.webp"))
    again = seed_content(rng=random.Random(7), user_ids=users, product_ids=products, progress=False)
    assert again == 0
    assert Note.objects.count() == 30
    assert sorted(path.name for path in tmp_path.rglob("*.webp")) == files


def test_every_template_fills_and_has_a_natural_length() -> None:
    planner = TitlePlanner(random.Random(1))
    seen = set()
    for language in ("zh", "en") * 150:
        index, title, slots = planner.next(language)
        assert "{" not in title
        assert title not in seen
        seen.add(title)
        if language == "zh":
            assert 10 <= len(title) <= 25, title
        else:
            assert len(title) <= 60, title
        body = note_body(random.Random(len(seen)), index, language, slots)
        sentences = re.split(r"(?<=[。！？.!?～])|\n", body.split("\n#")[0])
        assert 3 <= len([part for part in sentences if part.strip()]) <= 9, body
        assert "{" not in body
    assert len(THEMES) == 10


def test_covers_fall_back_to_the_built_in_font(monkeypatch: pytest.MonkeyPatch) -> None:
    covers.font_path.cache_clear()
    covers.font.cache_clear()
    monkeypatch.setattr(covers, "FONT_CANDIDATES", ())
    monkeypatch.setattr(covers, "FONT_GLOBS", ())
    try:
        picture = covers.text_cover(
            random.Random(1), covers.CoverText("周末下厨", "必看", "收藏备用"), (270, 360)
        )
        assert picture.size == (270, 360)
    finally:
        covers.font_path.cache_clear()
        covers.font.cache_clear()


def test_text_and_illustrated_covers_have_the_asked_size() -> None:
    rng = random.Random(3)
    text = covers.CoverText("Weekend Eats in Shanghai", "Must try", "save for later")
    assert covers.text_cover(rng, text, (540, 720)).size == (540, 720)
    for kind in covers.ILLUSTRATIONS:
        assert covers.illustrated_cover(rng, kind, (540, 540), label="探店").size == (540, 540)
