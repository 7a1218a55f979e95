"""#topics and @mentions in note text (plain text: the templates escape it when rendering)."""

from __future__ import annotations

import re
import unicodedata

MAX_TOPICS = 10
MAX_MENTIONS = 20
TOPIC_MAX_LENGTH = 30
_STOP = r"\s#@<>&\"'`.,;:!?()\[\]{}，。！？、；：（）【】《》“”‘’"
TOPIC = re.compile(rf"#([^{_STOP}]{{1,{TOPIC_MAX_LENGTH}}})#?")
MENTION = re.compile(rf"(?<![\w@])@([^{_STOP}]{{1,30}})")


def topic_key(label: str) -> str:
    """The normalised topic name (NFKC, casefolded) pages and lookups use."""
    return unicodedata.normalize("NFKC", label).casefold().strip()


def parse_topics(text: str) -> list[str]:
    """Topic labels in order of appearance, without duplicates (by normalised name)."""
    labels: dict[str, str] = {}
    for match in TOPIC.finditer(text):
        label = match.group(1)
        key = topic_key(label)
        if key and key not in labels:
            labels[key] = label
        if len(labels) >= MAX_TOPICS:
            break
    return list(labels.values())


def parse_mentions(text: str) -> list[str]:
    """Mention handles (a nickname or a numeric id) in order, without duplicates."""
    handles = list(dict.fromkeys(match.group(1) for match in MENTION.finditer(text)))
    return handles[:MAX_MENTIONS]
