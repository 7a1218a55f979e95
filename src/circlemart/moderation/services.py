"""Writes of moderation: screening text, sanitising markup, reports and the review queue.

Callers (social, reviews, accounts) screen user text with `text_check` (refuses BLOCK) or
`text_screen` (never raises), store `result.text` (masked), and hand REVIEW results to
`review_submit`. A moderator's decision comes back to them as ContentApproved /
ContentRejected events.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import nh3
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as accounts_selectors
from circlemart.accounts.contracts import Role
from circlemart.core import cache as generations
from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.core.events import publish
from circlemart.moderation import wordfilter
from circlemart.moderation.contracts import (
    Action,
    ContentRef,
    ContentType,
    Decision,
    ReportReason,
    ReviewStatus,
    ScreenResult,
)
from circlemart.moderation.events import ContentApproved, ContentRejected
from circlemart.moderation.models import (
    Report,
    ReviewItem,
    ReviewSource,
    SensitiveWord,
    WordAction,
    WordCategory,
)

EXCERPT_LENGTH = 500
REASON_LENGTH = 200
DETAIL_LENGTH = 1000
REPORTABLE_CONTENT_TYPES = frozenset(ContentType)
_CONTENT_TYPE_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
REPORT_REASONS = frozenset(ReportReason)

# --- Screening -------------------------------------------------------------------------------


def text_screen(*, text: str, field: str) -> ScreenResult:
    """Screen `text` against the sensitive-word list; never raises for content.

    `field` names the form field the text came from (kept for logging and symmetry with
    `text_check`). The strongest action among the matches wins: BLOCK > REVIEW > MASK.
    """
    return wordfilter.screen(text)


def text_check(*, text: str, field: str) -> ScreenResult:
    """Like text_screen, but raises ValidationFailed(code="sensitive_content") on BLOCK."""
    result = text_screen(text=text, field=field)
    if result.action == Action.BLOCK:
        raise ValidationFailed(
            _("This text contains words that are not allowed. Please edit it and try again."),
            code="sensitive_content",
            field=field,
        )
    return result


# --- Sanitising ------------------------------------------------------------------------------

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote"})
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Bidirectional overrides and isolates can make text read differently from what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NEWLINES = re.compile(r"\r\n|\r|\u2028|\u2029|\x85")


def sanitize_html(html: str) -> str:
    """Rich text reduced to a small allow-list of tags; links get rel="nofollow noopener".

    Only `href` survives on links, and only with an http, https or mailto scheme; script and
    style elements go with their content; every other attribute (on*, style) is dropped.
    """
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="nofollow noopener",
        strip_comments=True,
    )


def sanitize_text(text: str) -> str:
    """Plain text: control characters stripped, newlines normalised (templates escape)."""
    text = _NEWLINES.sub("\n", unicodedata.normalize("NFC", text))
    return "".join(
        char
        for char in text
        if char in "\n\t" or (unicodedata.category(char) != "Cc" and char not in _BIDI_CONTROLS)
    ).strip()


# --- The word list -------------------------------------------------------------------------


def word_list_changed() -> None:
    """Every process rebuilds its automaton (call inside the transaction that edits words)."""
    generations.bump(wordfilter.WORDS_GENERATION)


def _clean_word(word: str) -> str:
    cleaned = sanitize_text(word).strip()
    if not cleaned or "\n" in cleaned:
        raise ValidationFailed(_("Enter one word or phrase."), code="invalid", field="word")
    if len(cleaned) > 100:
        raise ValidationFailed(
            _("Must be at most %(count)d characters.") % {"count": 100},
            code="too_long",
            field="word",
        )
    return cleaned


def _clean_choice(value: str, *, choices: Iterable[str], field: str) -> str:
    if value not in set(choices):
        raise ValidationFailed(_("Choose a valid option."), code="invalid_choice", field=field)
    return value


@transaction.atomic
def word_upsert(*, word: str, category: str, action: str, is_active: bool = True) -> int:
    """Add a word to the list, or update its category and action if listed already."""
    cleaned = _clean_word(word)
    row, _created = SensitiveWord.objects.update_or_create(
        word=cleaned,
        defaults={
            "category": _clean_choice(category, choices=WordCategory.values, field="category"),
            "action": _clean_choice(action, choices=WordAction.values, field="action"),
            "is_active": is_active,
        },
    )
    word_list_changed()
    return row.pk


@transaction.atomic
def words_import(*, text: str, category: str, action: str) -> int:
    """Bulk add: one word or phrase per line, blank lines and `#` comments skipped."""
    count = 0
    for line in sanitize_text(text).split("\n"):
        candidate = line.strip()
        if candidate and not candidate.startswith("#"):
            word_upsert(word=candidate, category=category, action=action)
            count += 1
    return count


@transaction.atomic
def words_set_active(*, word_ids: list[int], is_active: bool) -> int:
    updated = SensitiveWord.objects.filter(pk__in=word_ids).update(is_active=is_active)
    word_list_changed()
    return updated


# --- Where reported content comes from ---------------------------------------------------

ContentResolver = Callable[[int], ContentRef | None]
_content_sources: dict[str, ContentResolver] = {}


def content_source_register(*, content_type: str, resolver: ContentResolver) -> None:
    """An owning app tells moderation how to find the author and text of its content.

    Call it from the app's AppConfig.ready(); `resolver(content_id)` returns None for
    content that does not exist or is not visible to the public (so it cannot be reported).
    """
    _check_content(content_type=content_type, content_id=1)
    _content_sources[content_type] = resolver


def content_resolve(*, content_type: str, content_id: int) -> ContentRef | None:
    resolver = _content_sources.get(content_type)
    return resolver(content_id) if resolver is not None else None


def _user_as_content(user_id: int) -> ContentRef | None:
    card = accounts_selectors.user_cards([user_id]).get(user_id)
    if card is None:
        return None
    return ContentRef(author_id=card.id, excerpt=card.nickname)


_content_sources[ContentType.USER.value] = _user_as_content


# --- The review queue ----------------------------------------------------------------------


def _excerpt(text: str) -> str:
    return sanitize_text(text)[:EXCERPT_LENGTH]


def _open_item_locked(*, content_type: str, content_id: int) -> ReviewItem | None:
    return (
        ReviewItem.objects.select_for_update()
        .filter(content_type=content_type, content_id=content_id, status=ReviewStatus.OPEN)
        .first()
    )


def _open_item_ensure(
    *, content_type: str, content_id: int, defaults: dict[str, Any]
) -> tuple[int, bool]:
    """The open item of this content, created if none: (id, created). Race-safe by the
    partial unique constraint: a loser of the insert race waits for the winner and joins it.
    """
    for _attempt in range(3):
        item = _open_item_locked(content_type=content_type, content_id=content_id)
        if item is not None:
            return item.pk, False
        now = clock.now()
        try:
            with transaction.atomic():
                created = ReviewItem.objects.create(
                    content_type=content_type,
                    content_id=content_id,
                    created_at=now,
                    due_at=now + timedelta(hours=settings.MODERATION_REVIEW_SLA_HOURS),
                    **defaults,
                )
        except IntegrityError:
            continue  # someone else opened it between our read and our insert
        return created.pk, True
    raise Conflict(_("The review queue is busy. Please try again."), code="busy")


def _check_content(*, content_type: str, content_id: int) -> None:
    """Owning apps name their own kinds of content ("note", "question"): a short slug."""
    if not _CONTENT_TYPE_SLUG.match(content_type):
        raise ValidationFailed(
            _("Choose a valid option."), code="invalid_choice", field="content_type"
        )
    if content_id < 1:
        raise ValidationFailed(_("Enter a valid id."), code="invalid", field="content_id")


@transaction.atomic
def review_submit(
    *,
    content_type: str,
    content_id: int,
    author_id: int,
    excerpt: str,
    reason: str,
    priority: int = 0,
    source: str = "filter",
) -> int:
    """Put content in the review queue; returns the open item's id.

    Idempotent while the item is open: submitting the same content again returns the same
    item (its priority rises to the higher of the two).
    """
    _check_content(content_type=content_type, content_id=content_id)
    _clean_choice(source, choices=ReviewSource.values, field="source")
    item_id, created = _open_item_ensure(
        content_type=content_type,
        content_id=content_id,
        defaults={
            "author_id": author_id,
            "excerpt": _excerpt(excerpt),
            "reason": sanitize_text(reason)[:REASON_LENGTH],
            "source": source,
            "priority": priority,
        },
    )
    if not created:
        ReviewItem.objects.filter(pk=item_id).update(
            priority=Greatest(F("priority"), Value(priority))
        )
    return item_id


@transaction.atomic
def report_create(
    *,
    reporter_id: int,
    content_type: str,
    content_id: int,
    author_id: int,
    excerpt: str,
    reason: str,
    detail: str = "",
) -> int:
    """Record one user's report and add it to the content's open review item; the item's
    priority rises by MODERATION_REPORT_PRIORITY_STEP per report. Returns the report id.

    One report per reporter per content (a DB constraint): a repeat raises Conflict with
    code "already_reported" and changes nothing.
    """
    _check_content(content_type=content_type, content_id=content_id)
    _clean_choice(reason, choices=REPORT_REASONS, field="reason")
    if reporter_id == author_id:
        raise ValidationFailed(
            _("You cannot report your own content."), code="own_content", field="content_id"
        )
    detail = sanitize_text(detail)
    if len(detail) > DETAIL_LENGTH:
        raise ValidationFailed(
            _("Must be at most %(count)d characters.") % {"count": DETAIL_LENGTH},
            code="too_long",
            field="detail",
        )
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter_id=reporter_id,
                content_type=content_type,
                content_id=content_id,
                author_id=author_id,
                reason=reason,
                detail=detail,
                excerpt=_excerpt(excerpt),
                created_at=clock.now(),
            )
    except IntegrityError as exc:
        raise Conflict(
            _("You have already reported this."), code="already_reported", field="content_id"
        ) from exc
    step = int(settings.MODERATION_REPORT_PRIORITY_STEP)
    item_id, created = _open_item_ensure(
        content_type=content_type,
        content_id=content_id,
        defaults={
            "author_id": author_id,
            "excerpt": _excerpt(excerpt),
            "reason": reason,
            "source": ReviewSource.REPORT,
            "priority": step,
            "report_count": 1,
        },
    )
    if not created:
        ReviewItem.objects.filter(pk=item_id).update(
            report_count=F("report_count") + 1, priority=F("priority") + step
        )
    Report.objects.filter(pk=report.pk).update(review_item_id=item_id)
    return report.pk


def report_file(
    *, reporter_id: int, content_type: str, content_id: int, reason: str, detail: str = ""
) -> int:
    """A signed-in user's report from the API: the content is looked up through its owning
    app's registered source (404 when it does not exist), then `report_create` records it.
    """
    _clean_choice(content_type, choices=REPORTABLE_CONTENT_TYPES, field="content_type")
    _check_content(content_type=content_type, content_id=content_id)
    _clean_choice(reason, choices=REPORT_REASONS, field="reason")
    content = content_resolve(content_type=content_type, content_id=content_id)
    if content is None:
        raise NotFound(_("This content does not exist."), field="content_id")
    return report_create(
        reporter_id=reporter_id,
        content_type=content_type,
        content_id=content_id,
        author_id=content.author_id,
        excerpt=content.excerpt,
        reason=reason,
        detail=detail,
    )


def moderator_check(*, user_id: int | None) -> None:
    """Refuses anyone who is not an active moderator or admin (403)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not (
        accounts_selectors.user_has_role(user, Role.MODERATOR)
        or accounts_selectors.user_has_role(user, Role.ADMIN)
    ):
        raise PermissionDenied(_("Only moderators can do that."), code="not_moderator")


@transaction.atomic
def review_decide(
    *, moderator_id: int, item_id: int, decision: Decision | str, reason: str
) -> None:
    """Approve or reject an open item; publishes ContentApproved / ContentRejected.

    A rejection needs a reason (the author is shown it). Deciding an item that is no longer
    open is a Conflict ("already_decided") and changes nothing.
    """
    moderator_check(user_id=moderator_id)
    if decision not in set(Decision):
        raise ValidationFailed(
            _("Choose approve or reject."), code="invalid_choice", field="decision"
        )
    decision = Decision(decision)
    reason = sanitize_text(reason)[: REASON_LENGTH * 5]
    if decision == Decision.REJECT and not reason:
        raise ValidationFailed(
            _("Give a reason for the rejection."), code="required", field="reason"
        )
    item = ReviewItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Not found."))
    if item.status != ReviewStatus.OPEN:
        raise Conflict(_("This item has already been decided."), code="already_decided")
    item.status = ReviewStatus.APPROVED if decision == Decision.APPROVE else ReviewStatus.REJECTED
    item.decided_by_id = moderator_id
    item.decided_at = clock.now()
    item.decision_reason = reason
    item.save(update_fields=["status", "decided_by_id", "decided_at", "decision_reason"])
    if decision == Decision.APPROVE:
        publish(
            ContentApproved(
                content_type=item.content_type, content_id=item.content_id, item_id=item.pk
            )
        )
    else:
        publish(
            ContentRejected(
                content_type=item.content_type,
                content_id=item.content_id,
                item_id=item.pk,
                reason=reason,
            )
        )
