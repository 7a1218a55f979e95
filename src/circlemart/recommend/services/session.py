"""Recording what a browsing session looks at, for re-ranking its next page within seconds."""

from __future__ import annotations

from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.recommend.serving import session_store
from circlemart.recommend.serving.viewer import is_personalised


def session_record(*, session_key: str, viewer_id: int | None, product_id: int, kind: str) -> bool:
    """Remember that the session viewed, clicked or carted a product (the last 20 for 30
    minutes). Nothing is kept for a viewer who turned personalisation off, nor without a
    session. Returns whether it was recorded."""
    if kind not in session_store.KINDS:
        raise ValidationFailed(_("Unknown session event."), field="kind")
    if not isinstance(product_id, int) or product_id <= 0:
        raise ValidationFailed(_("Unknown product."), field="product_id")
    if not session_key or (viewer_id is not None and not is_personalised(viewer_id)):
        return False
    session_store.trail_append(
        session_key=session_key, user_id=viewer_id, product_id=product_id, kind=kind
    )
    return True
