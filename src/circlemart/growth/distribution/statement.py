"""Statements as CSV: a distributor's own ledger, or everyone's for operators. Streamed, so
an export of the whole ledger never sits in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from circlemart.core import clock
from circlemart.core.errors import PermissionDenied, ValidationFailed
from circlemart.growth.distribution import selectors
from circlemart.growth.distribution.services.links import approved_distributor

HEADER = [
    "at",
    "distributor_id",
    "kind",
    "reference",
    "frozen",
    "withdrawable",
    "withdrawing",
    "withdrawn",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _lines(distributor_id: int | None) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(HEADER)
    for row in selectors.statement_rows(distributor_id=distributor_id):
        yield writer.writerow(
            [
                row.at.isoformat(),
                row.distributor_id,
                row.kind.value,
                row.reference,
                row.frozen,
                row.settled,
                row.withdrawing,
                row.withdrawn,
            ]
        )


def statement_response(*, user_id: int, scope: str) -> StreamingHttpResponse:
    """scope "mine": the caller's own (approved distributors); "all": operators only."""
    if scope == "all":
        if not selectors.may_export_all(user_id):
            raise PermissionDenied(
                _("Only growth operators may export every statement."),
                code="not_operator",
                field="scope",
            )
        distributor_id = None
        name = "commission-statement-all"
    elif scope == "mine":
        distributor_id = approved_distributor(user_id).pk
        name = "commission-statement"
    else:
        raise ValidationFailed(_("scope is mine or all."), field="scope")
    response = StreamingHttpResponse(_lines(distributor_id), content_type="text/csv")
    stamp = clock.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
