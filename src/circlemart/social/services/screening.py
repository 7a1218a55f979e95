"""Every user text goes through moderation before it is stored (masked where asked)."""

from __future__ import annotations

from dataclasses import dataclass

from circlemart.moderation import services as moderation
from circlemart.moderation.contracts import ACTION_STRENGTH, Action


@dataclass(frozen=True)
class Screened:
    texts: dict[str, str]  # field → text to store (masked where the filter asked)
    needs_review: bool
    reason: str


def screen(fields: dict[str, str]) -> Screened:
    """Screen each non-empty field; BLOCK raises ValidationFailed naming the field."""
    texts: dict[str, str] = {}
    strongest = Action.ALLOW
    matches: list[str] = []
    for field, text in fields.items():
        if not text:
            texts[field] = text
            continue
        result = moderation.text_check(text=text, field=field)
        texts[field] = result.text
        if ACTION_STRENGTH[result.action] > ACTION_STRENGTH[strongest]:
            strongest = result.action
        if result.action == Action.REVIEW:
            matches += [f"{field}: {word}" for word in result.matches]
    reason = "filter: " + ", ".join(matches) if matches else ""
    return Screened(texts=texts, needs_review=strongest == Action.REVIEW, reason=reason)


def submit_for_review(
    *, content_type: str, content_id: int, author_id: int, excerpt: str, reason: str
) -> None:
    moderation.review_submit(
        content_type=content_type,
        content_id=content_id,
        author_id=author_id,
        excerpt=excerpt,
        reason=reason or "filter",
    )
