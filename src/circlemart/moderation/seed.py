"""Demo moderation: shoppers report a few pieces of content, so the moderator's queue opens
with work in it. Reports go through report_file (the content is looked up through its owning
app, priorities rise per report), as the storefront's report button does."""

from __future__ import annotations

import random
from collections.abc import Sequence

from circlemart.core.errors import DomainError
from circlemart.moderation.contracts import ReportReason
from circlemart.moderation.services import content_resolve, report_file

DETAILS = {
    ReportReason.SPAM: "一直在评论区发广告链接",
    ReportReason.FRAUD: "说私信有更便宜的渠道，感觉是骗子",
    ReportReason.ABUSE: "评论里骂人，语气很冲",
    ReportReason.INFRINGEMENT: "图片是盗用别人的",
    ReportReason.OTHER: "和标题描述不符",
}


def seed_reports(
    *, rng: random.Random, reporter_ids: Sequence[int], targets: Sequence[tuple[str, int]]
) -> int:
    """One to three reports on each (content type, id); returns how many were filed now (a
    reporter who already reported the content is skipped, so a second run files none)."""
    filed = 0
    reasons = list(DETAILS)
    for content_type, content_id in targets:
        content = content_resolve(content_type=content_type, content_id=content_id)
        if content is None:
            continue
        reason = rng.choice(reasons)
        candidates = [uid for uid in reporter_ids if uid != content.author_id]
        for reporter in rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3))):
            try:
                report_file(
                    reporter_id=reporter,
                    content_type=content_type,
                    content_id=content_id,
                    reason=reason.value,
                    detail=DETAILS[reason],
                )
            except DomainError:
                continue
            filed += 1
    return filed
