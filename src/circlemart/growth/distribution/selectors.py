"""Reads of distribution, scoped to who asks: a distributor sees their own figures, links,
commissions (buyers masked) and withdrawals; statements for operators cover everyone."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.catalog import selectors as catalog_selectors
from circlemart.core.crypto import mask_nickname
from circlemart.core.pagination import paginate
from circlemart.growth.distribution.contracts import (
    BalanceView,
    CommissionPage,
    CommissionStatus,
    CommissionView,
    DistributorStatus,
    DistributorView,
    EntryKind,
    LinkTarget,
    LinkView,
    StatementRow,
    WithdrawalStatus,
    WithdrawalView,
)
from circlemart.growth.distribution.models import (
    Commission,
    CommissionAccount,
    CommissionEntry,
    Distributor,
    PromotionLink,
    Withdrawal,
)
from circlemart.growth.distribution.services.links import link_token


def _distributor_view(distributor: Distributor) -> DistributorView:
    return DistributorView(
        id=distributor.pk,
        user_id=distributor.user_id,
        status=DistributorStatus(distributor.status),
        code=distributor.code,
        level_name=distributor.level.name if distributor.level else "",
        upline_id=distributor.upline_id,
        applied_at=distributor.applied_at,
        reviewed_at=distributor.reviewed_at,
        review_note=distributor.review_note,
        downline_count=Distributor.objects.filter(
            upline_id=distributor.pk, status=DistributorStatus.APPROVED
        ).count(),
    )


def distributor_of(user_id: int) -> DistributorView | None:
    distributor = Distributor.objects.select_related("level").filter(user_id=user_id).first()
    return _distributor_view(distributor) if distributor else None


def distributor_id_of(user_id: int) -> int | None:
    return (
        Distributor.objects.filter(user_id=user_id, status=DistributorStatus.APPROVED)
        .values_list("pk", flat=True)
        .first()
    )


def balance_of(distributor_id: int) -> BalanceView:
    account = CommissionAccount.objects.filter(pk=distributor_id).first()
    currency = settings.DEFAULT_CURRENCY
    if account is None:
        return BalanceView(frozen=0, settled=0, withdrawing=0, withdrawn=0, currency=currency)
    return BalanceView(
        frozen=account.frozen,
        settled=account.settled,
        withdrawing=account.withdrawing,
        withdrawn=account.withdrawn,
        currency=currency,
    )


def _link_title(link: PromotionLink, titles: dict[tuple[str, int], str]) -> str:
    if link.target == LinkTarget.SHOP:
        return _("The whole shop")
    return titles.get((link.target, link.target_id), f"#{link.target_id}")


def links_of(distributor_id: int) -> list[LinkView]:
    links = list(PromotionLink.objects.filter(distributor_id=distributor_id).order_by("-id"))
    titles: dict[tuple[str, int], str] = {}
    product_ids = [link.target_id for link in links if link.target == LinkTarget.PRODUCT]
    for card in catalog_selectors.product_cards(product_ids):
        titles[LinkTarget.PRODUCT.value, card.id] = card.title
    category_ids = [link.target_id for link in links if link.target == LinkTarget.CATEGORY]
    for category_id, node in catalog_selectors.categories_by_id(category_ids).items():
        titles[LinkTarget.CATEGORY.value, category_id] = node.name
    return [
        LinkView(
            id=link.pk,
            target=LinkTarget(link.target),
            target_id=link.target_id,
            title=_link_title(link, titles),
            token=(token := link_token(link.pk)),
            path=reverse("growth:distribution_link", args=[token]),
            visits=link.visits,
            created_at=link.created_at,
        )
        for link in links
    ]


def _commission_view(commission: Commission, buyers: dict[int, str]) -> CommissionView:
    return CommissionView(
        id=commission.pk,
        order_number=commission.order_number,
        buyer=mask_nickname(buyers.get(commission.buyer_id, "")),
        product_id=commission.product_id,
        tier=commission.tier,
        base_amount=commission.base_amount,
        rate_bp=commission.rate_bp,
        amount=commission.amount,
        reversed_amount=commission.reversed_amount,
        status=CommissionStatus(commission.status),
        currency=commission.currency,
        created_at=commission.created_at,
        settled_at=commission.settled_at,
    )


def commissions_of(*, distributor_id: int, cursor: str | None, limit: int) -> CommissionPage:
    page = paginate(
        Commission.objects.filter(distributor_id=distributor_id),
        ordering=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
    cards = account_selectors.user_cards(list({c.buyer_id for c in page.items}))
    buyers = {user_id: card.nickname for user_id, card in cards.items()}
    return CommissionPage(
        items=[_commission_view(c, buyers) for c in page.items], next_cursor=page.next_cursor
    )


def withdrawal_view(withdrawal: Withdrawal) -> WithdrawalView:
    return WithdrawalView(
        id=withdrawal.pk,
        amount=withdrawal.amount,
        currency=withdrawal.currency,
        status=WithdrawalStatus(withdrawal.status),
        requested_at=withdrawal.requested_at,
        paid_at=withdrawal.paid_at,
        failure_reason=withdrawal.failure_reason,
    )


def withdrawals_of(*, distributor_id: int, limit: int = 50) -> list[WithdrawalView]:
    rows = Withdrawal.objects.filter(distributor_id=distributor_id).order_by("-requested_at", "-id")
    return [withdrawal_view(w) for w in rows[:limit]]


def statement_rows(*, distributor_id: int | None) -> Iterator[StatementRow]:
    """Every ledger entry, oldest first: one distributor's, or everyone's (distributor_id
    None: operators only — the caller checks)."""
    rows = CommissionEntry.objects.order_by("created_at", "id")
    if distributor_id is not None:
        rows = rows.filter(distributor_id=distributor_id)
    for entry in rows.iterator(chunk_size=2000):
        yield StatementRow(
            at=entry.created_at,
            distributor_id=entry.distributor_id,
            kind=EntryKind(entry.kind),
            reference=entry.reference,
            frozen=entry.frozen_delta,
            settled=entry.settled_delta,
            withdrawing=entry.withdrawing_delta,
            withdrawn=entry.withdrawn_delta,
        )


def may_export_all(user_id: int) -> bool:
    return account_selectors.user_may(user_id, "growth.view_commissionentry")
