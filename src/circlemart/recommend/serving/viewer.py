"""Who is asking: their personalisation choice (read on every request, never cached, so
turning it off takes effect on the next list in every process) and onboarding interests."""

from __future__ import annotations

from circlemart.recommend.models import PersonalisationPreference, UserInterest


def is_personalised(user_id: int | None) -> bool:
    """False only when a signed-in user turned personalised recommendations off."""
    if user_id is None:
        return True
    choice = (
        PersonalisationPreference.objects.filter(user_id=user_id)
        .values_list("is_personalised", flat=True)
        .first()
    )
    return True if choice is None else bool(choice)


def interests_of(user_id: int) -> list[int]:
    return list(
        UserInterest.objects.filter(user_id=user_id)
        .order_by("id")
        .values_list("category_id", flat=True)
    )
