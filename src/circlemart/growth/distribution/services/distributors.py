"""Becoming a distributor (apply: no fee, no purchase), an operator's review, levels, and the
upline (who recruited whom) — never a loop."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.core import clock
from circlemart.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from circlemart.growth.distribution import errors
from circlemart.growth.distribution.contracts import DistributorStatus
from circlemart.growth.distribution.models import (
    CommissionAccount,
    DistributionBinding,
    Distributor,
    DistributorLevel,
)
from circlemart.notifications import services as notifications
from circlemart.notifications.contracts import NotificationKind, TargetType

REVIEW_PERMISSION = "growth.change_distributor"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Far above any real chain: a walk that goes on longer has met a loop (refused on write).
MAX_CHAIN = 10_000


def require_operator(user_id: int, permission: str) -> None:
    if not account_selectors.user_may(user_id, permission):
        raise PermissionDenied(
            _("Only growth operators may do this."), code="not_operator", field="operator"
        )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _lock_upline_changes() -> None:
    """Upline changes run one at a time: two changes at once could each see no loop and
    together make one. They are rare operator acts, so serialising them costs nothing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('growth.distribution.upline'))")


def _check_no_loop(*, distributor_id: int | None, upline_id: int) -> None:
    """Refuse an upline whose own chain of uplines reaches `distributor_id`."""
    if distributor_id is None:
        return
    current: int | None = upline_id
    for _step in range(MAX_CHAIN):
        if current is None:
            return
        if current == distributor_id:
            raise ValidationFailed(
                _("This upline would close a loop: a distributor cannot be above themselves."),
                code=errors.UPLINE_LOOP,
                field="upline",
            )
        current = Distributor.objects.filter(pk=current).values_list("upline_id", flat=True).first()
    raise ValidationFailed(
        _("The upline chain is too long."), code=errors.UPLINE_LOOP, field="upline"
    )


def _upline_for_application(
    *, user_id: int, existing: Distributor | None, upline_code: str
) -> int | None:
    code = upline_code.strip().upper()
    if code:
        upline = Distributor.objects.filter(code=code, status=DistributorStatus.APPROVED).first()
        if upline is None or upline.user_id == user_id:
            raise ValidationFailed(
                _("No distributor has this code."), code=errors.UPLINE_UNKNOWN, field="upline_code"
            )
        _check_no_loop(distributor_id=existing.pk if existing else None, upline_id=upline.pk)
        return upline.pk
    # Recruited through a link: the distributor this user is bound to recruited them.
    binding = (
        DistributionBinding.objects.filter(
            buyer_id=user_id,
            expires_at__gt=clock.now(),
            distributor__status=DistributorStatus.APPROVED,
        )
        .exclude(distributor__user_id=user_id)
        .first()
    )
    if binding is None:
        return None
    try:
        _check_no_loop(
            distributor_id=existing.pk if existing else None, upline_id=binding.distributor_id
        )
    except ValidationFailed:
        return None  # an implied upline that would loop is simply not taken
    return binding.distributor_id


def distributor_apply(*, user_id: int, upline_code: str = "") -> Distributor:
    """Apply to become a distributor: free, no purchase needed. A rejected applicant may apply
    again; a pending or approved one is told so (409). Nothing is paid to anyone for an
    application or an approval (recruiting alone earns nothing)."""
    if len(upline_code) > 16:
        raise ValidationFailed(_("This code is too long."), field="upline_code")
    with transaction.atomic():
        _lock_upline_changes()
        existing = Distributor.objects.select_for_update().filter(user_id=user_id).first()
        if existing is not None and existing.status in (
            DistributorStatus.PENDING,
            DistributorStatus.APPROVED,
            DistributorStatus.SUSPENDED,
        ):
            raise Conflict(
                _("You have already applied."), code=errors.ALREADY_APPLIED, field="user"
            )
        upline_id = _upline_for_application(
            user_id=user_id, existing=existing, upline_code=upline_code
        )
        now = clock.now()
        if existing is not None:
            existing.status = DistributorStatus.PENDING
            existing.applied_at = now
            existing.reviewed_at = None
            existing.reviewed_by = None
            existing.review_note = ""
            if upline_id is not None:
                existing.upline_id = upline_id
            existing.save()
            return existing
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    return Distributor.objects.create(
                        user_id=user_id,
                        code=_new_code(),
                        upline_id=upline_id,
                        applied_at=now,
                    )
            except IntegrityError:
                if Distributor.objects.filter(user_id=user_id).exists():
                    raise Conflict(
                        _("You have already applied."), code=errors.ALREADY_APPLIED, field="user"
                    ) from None
        raise Conflict(_("Please try again."), code="code_taken")


def _default_level_id() -> int | None:
    return DistributorLevel.objects.order_by("rank").values_list("pk", flat=True).first()


def distributor_review(
    *, operator_id: int, distributor_id: int, approve: bool, note: str = ""
) -> Distributor:
    """Approve or reject a pending application; the applicant is told either way."""
    require_operator(operator_id, REVIEW_PERMISSION)
    with transaction.atomic():
        distributor = Distributor.objects.select_for_update().filter(pk=distributor_id).first()
        if distributor is None:
            raise NotFound(_("No such distributor."), field="distributor")
        if distributor.status != DistributorStatus.PENDING:
            raise Conflict(
                _("This application is not waiting for review."),
                code=errors.NOT_PENDING,
                field="distributor",
            )
        distributor.status = DistributorStatus.APPROVED if approve else DistributorStatus.REJECTED
        distributor.reviewed_at = clock.now()
        distributor.reviewed_by_id = operator_id
        distributor.review_note = note[:200]
        if approve and distributor.level_id is None:
            distributor.level_id = _default_level_id()
        distributor.save()
        if approve:
            CommissionAccount.objects.get_or_create(distributor=distributor)
        notifications.notification_record(
            recipient_id=distributor.user_id,
            kind=NotificationKind.DISTRIBUTOR_REVIEWED,
            target_type=TargetType.GROWTH,
            target_id=distributor.pk,
            actor_id=distributor.user_id,
            about_self=True,
            excerpt=_("Approved: you can share links now.")
            if approve
            else _("Not approved: %(note)s") % {"note": note or "-"},
        )
    return distributor


def distributor_upline_set(
    *, operator_id: int, distributor_id: int, upline_id: int | None
) -> Distributor:
    """Change who recruited a distributor. Refused (400 upline_loop) when the new upline is
    the distributor or has them anywhere above: A → B → A, or longer."""
    require_operator(operator_id, REVIEW_PERMISSION)
    with transaction.atomic():
        _lock_upline_changes()
        distributor = Distributor.objects.select_for_update().filter(pk=distributor_id).first()
        if distributor is None:
            raise NotFound(_("No such distributor."), field="distributor")
        if upline_id is not None:
            if not Distributor.objects.filter(pk=upline_id).exists():
                raise ValidationFailed(
                    _("No such distributor."), code=errors.UPLINE_UNKNOWN, field="upline"
                )
            _check_no_loop(distributor_id=distributor.pk, upline_id=upline_id)
        distributor.upline_id = upline_id
        distributor.save(update_fields=["upline"])
    return distributor


def distributor_upline_check(*, distributor_id: int | None, upline_id: int) -> None:
    """The loop check alone (the back office's form runs it before saving)."""
    _check_no_loop(distributor_id=distributor_id, upline_id=upline_id)


def distributor_level_set(
    *, operator_id: int, distributor_id: int, level_id: int | None
) -> Distributor:
    require_operator(operator_id, REVIEW_PERMISSION)
    if level_id is not None and not DistributorLevel.objects.filter(pk=level_id).exists():
        raise ValidationFailed(_("No such level."), field="level")
    updated = Distributor.objects.filter(pk=distributor_id).update(level_id=level_id)
    if not updated:
        raise NotFound(_("No such distributor."), field="distributor")
    return Distributor.objects.get(pk=distributor_id)
