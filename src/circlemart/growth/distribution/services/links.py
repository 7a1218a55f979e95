"""Promotion links (a signed token per distributor and target) and the binding of a buyer
to the first distributor whose link they opened (DISTRIBUTION_BINDING_DAYS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from circlemart.catalog import selectors as catalog_selectors
from circlemart.core import clock
from circlemart.core.errors import NotFound, PermissionDenied, ValidationFailed
from circlemart.growth.distribution import errors
from circlemart.growth.distribution.contracts import DistributorStatus, LinkTarget
from circlemart.growth.distribution.models import (
    DistributionBinding,
    Distributor,
    PromotionLink,
)

_SIGNER_SALT = "circlemart.growth.distribution.link"
TOKEN_MAX_LENGTH = 80


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SIGNER_SALT, sep=".")


def link_token(link_id: int) -> str:
    """A token naming the link, signed so no one can make one up."""
    return _signer().sign(format(link_id, "x"))


def link_id_from_token(token: str) -> int | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    try:
        return int(_signer().unsign(token), 16)
    except (signing.BadSignature, ValueError):
        return None


def approved_distributor(user_id: int) -> Distributor:
    distributor = Distributor.objects.filter(
        user_id=user_id, status=DistributorStatus.APPROVED
    ).first()
    if distributor is None:
        raise PermissionDenied(
            _("Only approved distributors can do this."),
            code=errors.NOT_A_DISTRIBUTOR,
            field="distributor",
        )
    return distributor


def _check_target(target: str, target_id: int) -> LinkTarget:
    try:
        kind = LinkTarget(target)
    except ValueError:
        raise ValidationFailed(
            _("Choose a product, a category or the shop."),
            code=errors.INVALID_TARGET,
            field="target",
        ) from None
    if kind == LinkTarget.SHOP:
        if target_id not in (0, None):
            raise ValidationFailed(
                _("A shop link has no target id."), code=errors.INVALID_TARGET, field="target_id"
            )
        return kind
    found = (
        catalog_selectors.product_detail(target_id) is not None
        if kind == LinkTarget.PRODUCT
        else catalog_selectors.category_by_id(target_id) is not None
    )
    if not found or target_id <= 0:
        raise ValidationFailed(
            _("This product or category does not exist."),
            code=errors.INVALID_TARGET,
            field="target_id",
        )
    return kind


def link_create(*, user_id: int, target: str, target_id: int = 0) -> PromotionLink:
    """The distributor's link to a product, a category or the shop (one per target: asking
    again gives the same link)."""
    distributor = approved_distributor(user_id)
    kind = _check_target(target, target_id)
    target_id = 0 if kind == LinkTarget.SHOP else target_id
    existing = PromotionLink.objects.filter(
        distributor=distributor, target=kind, target_id=target_id
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PromotionLink.objects.create(
                distributor=distributor, target=kind, target_id=target_id, created_at=clock.now()
            )
    except IntegrityError:
        return PromotionLink.objects.get(distributor=distributor, target=kind, target_id=target_id)


@dataclass(frozen=True)
class OpenedLink:
    link_id: int
    target: LinkTarget
    target_id: int
    bound: bool  # the visitor (signed in) is now bound to this link's distributor


def link_open(*, token: str, visitor_id: int | None) -> OpenedLink:
    """Someone opened a link: count the visit and, when they are signed in, bind them (an
    anonymous visitor is bound on sign-in from the session, see middleware)."""
    link_id = link_id_from_token(token)
    link = (
        PromotionLink.objects.select_related("distributor")
        .filter(pk=link_id, distributor__status=DistributorStatus.APPROVED)
        .first()
        if link_id is not None
        else None
    )
    if link is None:
        raise NotFound(_("This link is not valid."), code=errors.LINK_INVALID, field="token")
    bound = False
    if visitor_id != link.distributor.user_id:
        PromotionLink.objects.filter(pk=link.pk).update(visits=F("visits") + 1)
        if visitor_id is not None:
            bound = binding_record(buyer_id=visitor_id, link_id=link.pk) is not None
    return OpenedLink(
        link_id=link.pk, target=LinkTarget(link.target), target_id=link.target_id, bound=bound
    )


def binding_record(*, buyer_id: int, link_id: int) -> DistributionBinding | None:
    """Bind the buyer to the link's distributor unless they are bound to someone (or this
    one) already and that binding has not run out: the first distributor keeps the buyer
    for DISTRIBUTION_BINDING_DAYS. Returns the binding when this call made it."""
    link = (
        PromotionLink.objects.select_related("distributor")
        .filter(pk=link_id, distributor__status=DistributorStatus.APPROVED)
        .first()
    )
    if link is None or link.distributor.user_id == buyer_id:
        return None
    now = clock.now()
    expires_at = now + timedelta(days=settings.DISTRIBUTION_BINDING_DAYS)
    fields = {
        "distributor_id": link.distributor_id,
        "link_id": link.pk,
        "bound_at": now,
        "expires_at": expires_at,
    }
    # Only an expired binding is replaced: a conditional UPDATE, so two links opened at once
    # cannot both win.
    if DistributionBinding.objects.filter(buyer_id=buyer_id, expires_at__lte=now).update(**fields):
        return DistributionBinding.objects.get(buyer_id=buyer_id)
    if DistributionBinding.objects.filter(buyer_id=buyer_id).exists():
        return None
    try:
        with transaction.atomic():
            return DistributionBinding.objects.create(buyer_id=buyer_id, **fields)
    except IntegrityError:  # another link bound them first
        return None
