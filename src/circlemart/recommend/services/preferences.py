"""A user's recommendation choices: personalisation on or off (PIPL art. 24) and the
categories picked at onboarding."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from circlemart.core.errors import ValidationFailed
from circlemart.recommend.models import PersonalisationPreference, UserInterest
from circlemart.recommend.serving import session_store
from circlemart.recommend.serving.catalogue import active_category_ids

MAX_INTERESTS = 20


def personalisation_set(*, user_id: int, is_personalised: bool) -> bool:
    """Turn personalised recommendations on or off; off also forgets the sessions' trail."""
    with transaction.atomic():
        PersonalisationPreference.objects.update_or_create(
            user_id=user_id, defaults={"is_personalised": bool(is_personalised)}
        )
        if not is_personalised:
            session_store.trail_forget_user(user_id)
    return bool(is_personalised)


def interests_set(*, user_id: int, category_ids: Sequence[int]) -> list[int]:
    """Replace the user's onboarding interests; every id must be an active category."""
    wanted = list(dict.fromkeys(category_ids))
    if len(wanted) > MAX_INTERESTS:
        raise ValidationFailed(
            _("Pick at most %(count)d interests.") % {"count": MAX_INTERESTS}, field="category_ids"
        )
    if any(not isinstance(i, int) or isinstance(i, bool) for i in wanted):
        raise ValidationFailed(_("Unknown category."), field="category_ids")
    unknown = set(wanted) - active_category_ids()
    if unknown:
        raise ValidationFailed(_("Unknown category."), field="category_ids")
    with transaction.atomic():
        UserInterest.objects.filter(user_id=user_id).exclude(category_id__in=wanted).delete()
        existing = set(
            UserInterest.objects.filter(user_id=user_id).values_list("category_id", flat=True)
        )
        UserInterest.objects.bulk_create(
            [UserInterest(user_id=user_id, category_id=i) for i in wanted if i not in existing]
        )
    return wanted
