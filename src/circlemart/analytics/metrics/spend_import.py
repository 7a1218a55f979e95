"""Channel spend imported from a CSV file (day,channel,campaign,amount,currency): every line
is checked first and the file is stored whole or not at all, with each bad line named.

`amount` is in minor units (fen): a whole number, 0 or more. A (day, channel, campaign) that
was recorded before is corrected to the file's amount.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from circlemart.analytics.metrics.services import channel_spend_record, spend_check
from circlemart.core.errors import ValidationFailed

COLUMNS = ("day", "channel", "campaign", "amount", "currency")
MAX_LINES = 10_000
MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class SpendLine:
    line: int
    day: date
    channel: str
    campaign: str
    amount: int
    currency: str


@dataclass(frozen=True)
class SpendLineError:
    line: int
    field: str
    message: str


def _parse_line(line: int, row: dict[str, str]) -> SpendLine:
    values = {key: (row.get(key) or "").strip() for key in COLUMNS}
    try:
        day = date.fromisoformat(values["day"])
    except ValueError:
        raise ValidationFailed(
            _("Enter a date as YYYY-MM-DD."), code="bad_day", field="day"
        ) from None
    text = values["amount"]
    if not text.isdigit():
        raise ValidationFailed(
            _("The amount must be a whole number of minor units, 0 or more."),
            code="bad_amount",
            field="amount",
        )
    currency = values["currency"].upper()
    spend_check(
        day=day,
        channel=values["channel"],
        amount=int(text),
        currency=currency or settings.DEFAULT_CURRENCY,
    )
    if len(values["campaign"]) > 100:
        raise ValidationFailed(
            _("The campaign name is too long (100 characters at most)."),
            code="bad_campaign",
            field="campaign",
        )
    return SpendLine(line, day, values["channel"], values["campaign"], int(text), currency)


def spend_csv_parse(text: str) -> list[SpendLine]:
    """The lines of the file, or ValidationFailed listing every bad line (`extra["errors"]`)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            _("The header must name the columns %(columns)s; missing: %(missing)s.")
            % {"columns": ",".join(COLUMNS), "missing": ", ".join(missing)},
            code="bad_header",
            field="file",
        )
    lines: list[SpendLine] = []
    errors: list[SpendLineError] = []
    seen: dict[tuple[date, str, str], int] = {}
    for row in reader:
        number = reader.line_num
        if number > MAX_LINES + 1:
            raise ValidationFailed(
                _("The file has more than %(max)s lines.") % {"max": MAX_LINES},
                code="too_many_lines",
                field="file",
            )
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        try:
            parsed = _parse_line(number, row)
        except ValidationFailed as bad:
            errors.append(SpendLineError(number, bad.field or "", str(bad.message)))
            continue
        key = (parsed.day, parsed.channel, parsed.campaign)
        if key in seen:
            errors.append(
                SpendLineError(
                    number,
                    "campaign",
                    _("The same day, channel and campaign are on line %(line)s.")
                    % {"line": seen[key]},
                )
            )
            continue
        seen[key] = number
        lines.append(parsed)
    if errors:
        shown = "; ".join(
            _("line %(line)s, %(field)s: %(message)s")
            % {"line": error.line, "field": error.field, "message": error.message}
            for error in errors[:MAX_ERRORS_SHOWN]
        )
        raise ValidationFailed(
            _("%(count)s bad lines, nothing was imported: %(errors)s")
            % {"count": len(errors), "errors": shown},
            code="bad_lines",
            field=f"lines[{errors[0].line}].{errors[0].field}",
            extra={
                "errors": [
                    {"line": error.line, "field": error.field, "message": error.message}
                    for error in errors
                ]
            },
        )
    return lines


def channel_spend_import(*, text: str, recorded_by_id: int | None = None) -> int:
    """Store every line of the CSV in one transaction; returns how many lines were stored."""
    lines = spend_csv_parse(text)
    with transaction.atomic():
        for line in lines:
            channel_spend_record(
                day=line.day,
                channel=line.channel,
                campaign=line.campaign,
                amount=line.amount,
                currency=line.currency,
                recorded_by_id=recorded_by_id,
            )
    return len(lines)
