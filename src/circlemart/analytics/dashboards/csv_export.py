"""A dashboard as CSV: every chart series and table cell in one long table (part, series, x,
value), UTF-8 with a byte-order mark so Excel opens Chinese labels correctly."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from circlemart.analytics.dashboards.content import PageContent

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | float) -> str | float:
    """Text that a spreadsheet would run as a formula (a product titled "=HYPERLINK(…)") is
    written with a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(content: PageContent, *, part: str = "") -> Iterator[list[str | float]]:
    yield [_("part"), _("series"), "x", _("value")]
    for table in content.tables:
        if part and table.id != part:
            continue
        for row in table.values:
            label = row[0]
            for column, cell in zip(table.columns[1:], row[1:], strict=True):
                yield [table.id, label, column, cell]
    for chart in content.charts:
        if part and chart.id != part:
            continue
        for series in chart.series:
            for x, y in zip(series.x, series.y, strict=True):
                yield [chart.id, series.name, x, y]


def csv_text(content: PageContent, *, part: str = "") -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in csv_rows(content, part=part):
        writer.writerow([_cell(cell) for cell in row])
    return buffer.getvalue()


def csv_filename(content: PageContent, *, part: str = "") -> str:
    period = content.period
    suffix = f"-{part}" if part else ""
    return (
        f"circlemart-{content.dashboard.name}{suffix}-"
        f"{period.start.isoformat()}-{period.end.isoformat()}.csv"
    )


def part_names(content: PageContent) -> set[str]:
    return {table.id for table in content.tables} | {chart.id for chart in content.charts}
