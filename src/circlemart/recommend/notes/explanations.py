"""Short, localised reasons shown with a ranked note."""

from __future__ import annotations

from django.utils.translation import gettext as _

from circlemart.recommend.contracts import Reason
from circlemart.recommend.notes.scoring import ScoredNote


def reason_for(note: ScoredNote) -> Reason | None:
    if note.reason == "followed":
        return Reason(kind="followed", label=_("From someone you follow"))
    if note.reason == "circle":
        return Reason(kind="circle", label=_("Popular in your circle"))
    if note.reason == "interest":
        return Reason(
            kind="interest",
            label=_("Because you like #%(topic)s") % {"topic": note.topic_label},
        )
    if note.reason == "trending":
        return Reason(kind="trending", label=_("Trending now"))
    return None
