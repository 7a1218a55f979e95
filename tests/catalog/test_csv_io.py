"""Catalog CSV import and export: whole-file checking, all-or-nothing writes, round trips."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from circlemart.catalog import csv_io, services
from circlemart.catalog.csv_io import ImportReport, RowError, export_catalog, import_catalog
from circlemart.catalog.models import Brand, Category, Product, Sku
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.models import OutboxEvent
from circlemart.inventory.models import StockLevel
from tests.catalog import factories

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "product_code": "P1",
    "title": "无线降噪耳机",
    "category": "audio",
    "status": "on_sale",
    "sku_code": "P1-1",
    "price": "199.00",
    "stock": "10",
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def audio() -> Category:
    return services.category_create(name="耳机", name_en="Headphones", slug="audio")


@pytest.fixture
def sony() -> Brand:
    return services.brand_create(name="索尼", name_en="Sony", slug="sony")


def row(**cells: str) -> dict[str, str]:
    return {**DEFAULTS, **cells}


def csv_text(*rows: dict[str, str], header: tuple[str, ...] = csv_io.COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for cells in rows:
        writer.writerow([cells.get(column, "") for column in header])
    return buffer.getvalue()


def run_import(text: str, *, dry_run: bool = False, **options: Any) -> ImportReport:
    return import_catalog(io.StringIO(text, newline=""), dry_run=dry_run, **options)


def export_text(**options: Any) -> str:
    buffer = io.StringIO(newline="")
    export_catalog(buffer, **options)
    return buffer.getvalue()


def sku_rows(product: Product) -> list[tuple[Any, ...]]:
    return [
        (sku.code, sku.options, sku.price, sku.original_price, sku.max_per_order, on_hand)
        for sku, on_hand in (
            (sku, StockLevel.objects.get(sku=sku).on_hand)
            for sku in Sku.objects.filter(product=product).order_by("position", "id")
        )
    ]


def catalog_snapshot() -> list[tuple[Any, ...]]:
    """Everything an import may touch, to compare before and after."""
    products = [
        (
            p.code,
            p.title,
            p.title_en,
            p.subtitle,
            p.category_id,
            p.brand_id,
            p.status,
            p.description_html,
            p.price_min,
            p.price_max,
            p.updated_at,
            sorted(tag.name for tag in p.tags.all()),
            sku_rows(p),
        )
        for p in Product.objects.order_by("code")
    ]
    return [*products, (Sku.objects.count(), StockLevel.objects.count())]


def events(event_type: str) -> list[dict[str, Any]]:
    return list(
        OutboxEvent.objects.filter(event_type=event_type)
        .order_by("id")
        .values_list("payload", flat=True)
    )


class TestImportGoodFile:
    def test_creates_products_skus_and_stock_with_exact_values(self, audio, sony):
        text = csv_text(
            row(
                title_en="Wireless ANC Headphones",
                subtitle="官方正品, 极速发货",
                brand="sony",
                tags="新品|热卖|新品",
                description_html="<p>音质好听</p><script>alert(1)</script>",
                sku_code="P1-BLK",
                options="颜色=黑色; 尺码=M",
                price="199.00",
                original_price="299",
                stock="10",
                max_per_order="5",
            ),
            row(
                title_en="Wireless ANC Headphones",
                subtitle="官方正品, 极速发货",
                brand="sony",
                tags="热卖|新品",
                description_html="<p>音质好听</p><script>alert(1)</script>",
                sku_code="P1-WHT",
                options="颜色=白色;尺码=M",
                price="209.5",
                stock="0",
            ),
            row(
                product_code="P2",
                title="蓝牙音箱",
                status="draft",
                sku_code="P2-1",
                price="89",
                stock="3",
            ),
        )

        report = run_import(text)

        assert report == ImportReport(
            applied=True,
            dry_run=False,
            products_created=2,
            products_updated=0,
            skus_created=3,
            skus_updated=0,
            errors=[],
            rows=3,
        )
        headphones = Product.objects.get(code="P1")
        assert (
            headphones.title,
            headphones.title_en,
            headphones.subtitle,
            headphones.category_id,
            headphones.brand_id,
            headphones.status,
            headphones.description_html,
            headphones.price_min,
            headphones.price_max,
            headphones.published_at is not None,
        ) == (
            "无线降噪耳机",
            "Wireless ANC Headphones",
            "官方正品, 极速发货",
            audio.pk,
            sony.pk,
            "on_sale",
            "<p>音质好听</p>",
            19900,
            20950,
            True,
        )
        assert sorted(tag.name for tag in headphones.tags.all()) == ["新品", "热卖"]
        assert sku_rows(headphones) == [
            ("P1-BLK", {"颜色": "黑色", "尺码": "M"}, 19900, 29900, 5, 10),
            ("P1-WHT", {"颜色": "白色", "尺码": "M"}, 20950, None, 99, 0),
        ]
        speaker = Product.objects.get(code="P2")
        assert (speaker.status, speaker.brand_id, speaker.published_at) == ("draft", None, None)
        assert sku_rows(speaker) == [("P2-1", {}, 8900, None, 99, 3)]
        assert events("catalog.ProductChanged") == [
            {"product_id": headphones.pk, "change": "created"},
            {"product_id": speaker.pk, "change": "created"},
        ]

    def test_rows_of_a_product_need_not_stand_together(self, audio):
        text = csv_text(
            row(sku_code="P1-1", options="颜色=黑色", price="10"),
            row(product_code="P2", title="音箱", sku_code="P2-1"),
            row(sku_code="P1-2", options="颜色=白色", price="12", stock="4"),
        )

        report = run_import(text)

        assert (report.applied, report.products_created, report.skus_created) == (True, 2, 3)
        product = Product.objects.get(code="P1")
        assert sku_rows(product) == [
            ("P1-1", {"颜色": "黑色"}, 1000, None, 99, 10),
            ("P1-2", {"颜色": "白色"}, 1200, None, 99, 4),
        ]
        assert (product.price_min, product.price_max) == (1000, 1200)

    def test_utf8_bytes_with_a_bom_as_excel_writes_them(self, audio):
        data = csv_text(row(title="降噪耳机 · 黑")).encode("utf-8-sig")
        assert data.startswith(b"\xef\xbb\xbf")

        report = import_catalog(io.BytesIO(data), dry_run=False)

        assert (report.errors, report.products_created) == ([], 1)
        assert Product.objects.get(code="P1").title == "降噪耳机 · 黑"

    def test_a_text_stream_may_start_with_a_bom_too(self, audio):
        report = run_import("\ufeff" + csv_text(row()))
        assert (report.errors, report.products_created) == ([], 1)

    def test_quoted_fields_with_commas_quotes_and_newlines(self, audio):
        description = '<p>Hello, "world"</p>\n<p>第二行，含逗号, 和引号</p>'
        text = csv_text(
            row(subtitle="轻, 小, 好", description_html=description),
            row(product_code="P2", sku_code="P2-1", price="1.234"),
        )
        assert text.count("\n") == 4  # the first row spans lines 2–3

        report = run_import(text)

        assert report.errors == [RowError(4, "price", "“1.234” has more than 2 decimals.")]
        assert run_import(csv_text(row(subtitle="轻, 小, 好", description_html=description))) == (
            ImportReport(True, False, 1, 0, 1, 0, [], 1)
        )
        product = Product.objects.get(code="P1")
        assert (product.subtitle, product.description_html) == ("轻, 小, 好", description)

    def test_pipe_stdin_and_other_unseekable_streams_are_read_twice_from_a_copy(self, audio):
        class Pipe(io.RawIOBase):
            def __init__(self, data: bytes) -> None:
                self.data = io.BytesIO(data)

            def readable(self) -> bool:
                return True

            def seekable(self) -> bool:
                return False

            def readinto(self, buffer: Any) -> int:
                chunk = self.data.read(len(buffer))
                buffer[: len(chunk)] = chunk
                return len(chunk)

        report = import_catalog(Pipe(csv_text(row()).encode()), dry_run=False)  # type: ignore[arg-type]

        assert (report.applied, report.products_created) == (True, 1)


class TestDocumentedExample:
    def example(self) -> str:
        document = (Path(__file__).parents[2] / "docs" / "catalog-csv.md").read_text()
        return document.split("```csv\n", 1)[1].split("```", 1)[0]

    def test_the_example_in_the_docs_imports(self, audio, sony):
        report = run_import(self.example())

        assert report == ImportReport(True, False, 2, 0, 3, 0, [], 3)
        assert Product.objects.get(code="HP-100").description_html == (
            "<p>40 小时续航，<b>主动降噪</b>。</p>\n<p>支持蓝牙 5.3。</p>"
        )

    def test_its_line_numbers_are_as_the_docs_say(self, audio, sony):
        text = self.example().replace(",209.50,", ",x,").replace(",89,", ",y,")

        report = run_import(text, dry_run=True)

        assert [(error.line, error.column) for error in report.errors] == [
            (4, "price"),
            (6, "price"),
        ]


class TestImportRefusesBadFiles:
    def test_every_bad_row_is_reported_and_nothing_is_written(self, audio, sony):
        existing = factories.product(in_category=audio, prices=(100, 200))
        other_sku, fixed_sku = existing.skus.values_list("code", flat=True)  # 颜色=色0, 色1
        before = catalog_snapshot()
        outbox = OutboxEvent.objects.count()
        text = csv_text(
            row(),  # line 2: fine
            row(sku_code="P1-2", title="另一个标题", price="12.345", options="颜色=白"),  # 3
            row(product_code="P2", sku_code="P2-1", category="nope", brand="nobrand"),  # 4
            row(product_code="P3", sku_code="P3-1", price="abc", stock="-1"),  # 5
            row(product_code="P3", sku_code="P1-1", status="selling", price="abc"),  # 6
            row(product_code="P4", sku_code=other_sku),  # 7
            row(product_code="P5", sku_code="P5-1", options="颜色=黑色"),  # 8
            row(product_code="P5", sku_code="P5-2", options="颜色 = 黑色"),  # 9
            row(product_code="P6", sku_code="P6-1", title="长" * 121, original_price="19"),  # 10
            row(product_code="P7", sku_code="", stock=""),  # 11
            row(product_code=existing.code, sku_code=fixed_sku, options="颜色=色9"),  # 12
            row(product_code="P8", sku_code="P8-1", max_per_order="0"),  # 13
            row(product_code="P9", sku_code="P9-1", options="颜色黑色", stock="1.5"),  # 14
            row(product_code="P10", sku_code="P10-1", status="", tags="好<物>"),  # 15
        )
        text += csv_text(
            row(product_code=existing.code, sku_code="NEW-1", options="颜色=色0")  # 16
        ).split("\r\n", 1)[1]
        text += "P11,only,three\r\n"  # line 17

        report = run_import(text)

        longest = "Must be at most 120 characters."
        assert report.errors == [
            RowError(3, "price", "“12.345” has more than 2 decimals."),
            RowError(
                3,
                "title",
                "Differs from line 2, the first row of product “P1”; every row of a product "
                "repeats the same product columns.",
            ),
            RowError(4, "category", "No category has the slug “nope”."),
            RowError(4, "brand", "No brand has the slug “nobrand”."),
            RowError(
                5,
                "price",
                "“abc” is not an amount: write yuan with up to 2 decimals, e.g. 199.00.",
            ),
            RowError(5, "stock", "Stock cannot be negative."),
            RowError(6, "status", "Unknown status “selling”: use draft, on_sale or off_shelf."),
            RowError(
                6,
                "price",
                "“abc” is not an amount: write yuan with up to 2 decimals, e.g. 199.00.",
            ),
            RowError(
                7, "sku_code", f"The SKU code “{other_sku}” belongs to product “{existing.code}”."
            ),
            RowError(9, "options", "Product “P5” already has these options on line 8."),
            RowError(10, "title", longest),
            RowError(10, "original_price", "The original price cannot be below the price."),
            RowError(11, "sku_code", "This field is required."),
            RowError(11, "stock", "This field is required."),
            RowError(
                12,
                "options",
                f"SKU “{fixed_sku}” has the options “颜色=色1”; an import cannot change a SKU's "
                "options (orders refer to them). Add a new SKU instead.",
            ),
            RowError(13, "max_per_order", "Must be at least 1."),
            RowError(
                14, "options", "“颜色黑色” is not name=value; write options like 颜色=黑色;尺码=M."
            ),
            RowError(14, "stock", "“1.5” is not a whole number."),
            RowError(15, "tags", "“好<物>”: Must not contain < > \" ' ` or &."),
            RowError(15, "status", "This field is required."),
            RowError(
                16,
                "options",
                f"Product “{existing.code}” already has a SKU with these options: “{other_sku}”.",
            ),
            RowError(17, "", "This row has 3 values but the header has 15 columns."),
        ]
        assert (report.applied, report.rows) == (False, 16)
        assert (report.products_created, report.skus_created) == (0, 0)
        assert catalog_snapshot() == before
        assert OutboxEvent.objects.count() == outbox

    def test_a_sku_code_twice_in_the_file(self, audio):
        report = run_import(csv_text(row(), row(product_code="P2", title="音箱")))

        assert report.errors == [
            RowError(3, "sku_code", "The SKU code “P1-1” already appears on line 2.")
        ]
        assert Product.objects.count() == 0

    def test_wrong_header(self, audio):
        header = (*(name for name in csv_io.COLUMNS if name != "stock"), "colour", "title")
        report = run_import(csv_text(row(), header=header))

        assert report.errors == [
            RowError(1, "stock", "The header lacks this column."),
            RowError(
                1,
                "colour",
                "Unknown column; the columns are: " + ", ".join(csv_io.COLUMNS) + ".",
            ),
            RowError(1, "title", "This column appears twice in the header."),
        ]
        assert (report.applied, Product.objects.count()) == (False, 0)

    def test_empty_file(self):
        report = run_import("")
        assert report.errors == [
            RowError(1, "", "The file is empty; its first line must be the header.")
        ]

    def test_a_file_that_is_not_utf8(self, audio):
        report = import_catalog(io.BytesIO(csv_text(row()).encode("gbk")), dry_run=False)

        assert report.errors == [
            RowError(1, "", "The file is not UTF-8 text; save it as “CSV UTF-8”.")
        ]
        assert Product.objects.count() == 0

    def test_size_and_row_limits(self, audio):
        text = csv_text(
            row(), row(sku_code="P1-2", options="颜色=白"), row(sku_code="P1-3", options="颜色=蓝")
        )

        fits = len(text.encode())
        assert import_catalog(io.BytesIO(text.encode()), dry_run=True, max_bytes=fits).errors == []
        too_big = import_catalog(io.BytesIO(text.encode()), dry_run=False, max_bytes=100)
        assert too_big.errors == [RowError(1, "", "The file is larger than 100\xa0bytes.")]
        # A text stream's size shows while it is read: the row that crosses the limit is named.
        streamed = run_import(text, dry_run=True, max_bytes=fits - 1)
        assert streamed.errors == [RowError(4, "", f"The file is larger than {fits - 1}\xa0bytes.")]
        too_long = run_import(text, max_rows=2)
        assert too_long.errors == [
            RowError(4, "", "The file has more than 2 rows; split it into smaller files.")
        ]
        assert Product.objects.count() == 0

    def test_checking_stops_after_max_errors(self, audio):
        text = csv_text(*(row(sku_code=f"S{n}", price="x") for n in range(5)))

        report = run_import(text, max_errors=3)

        assert [(error.line, error.column) for error in report.errors] == [
            (2, "price"),
            (3, "price"),
            (4, "price"),
            (
                4,
                "",
            ),
        ]
        assert report.errors[-1].message == "Stopped checking after 3 errors."

    def test_stock_may_not_go_below_reservations(self, audio):
        product = factories.product(in_category=audio, stock=(10,))
        sku = product.skus.get()
        StockLevel.objects.filter(sku=sku).update(reserved=4)
        text = export_text().replace(",10,99\r\n", ",3,99\r\n")

        report = run_import(text)

        assert report.errors == [
            RowError(2, "stock", "Open orders have reserved 4; stock cannot go below that.")
        ]
        assert StockLevel.objects.get(sku=sku).on_hand == 10

    def test_a_failure_while_writing_rolls_everything_back(self, audio):
        """Another process takes a product code between the check and the writes."""

        class Intruder:
            def start(self, step: str, total: int | None) -> None:
                if step == "write":
                    services.product_create(
                        data=services.ProductInput(
                            code="P2",
                            title="抢先一步",
                            category_id=audio.pk,
                            skus=[services.SkuInput(code="X-1", price=100)],
                        )
                    )

            def advance(self, amount: int) -> None:
                pass

        text = csv_text(row(), row(product_code="P2", title="音箱", sku_code="P2-1"))

        report = run_import(text, progress=Intruder())

        assert report.errors == [
            RowError(3, "product_code", "A product or SKU with this code already exists.")
        ]
        assert report.applied is False
        assert list(Product.objects.values_list("code", "title")) == [("P2", "抢先一步")]


class TestDryRunAndUpdates:
    @pytest.fixture
    def headphones(self, audio, sony) -> Product:
        return services.product_create(
            data=services.ProductInput(
                code="P1",
                title="耳机",
                category_id=audio.pk,
                brand_id=sony.pk,
                tags=["旧款"],
                status="on_sale",
                skus=[
                    services.SkuInput(code="P1-A", price=10000, options={"颜色": "黑"}, stock=5),
                    services.SkuInput(code="P1-B", price=20000, options={"颜色": "白"}, stock=7),
                ],
            )
        )

    def updating_file(self) -> str:
        common = {"title": "降噪耳机", "brand": "sony", "tags": "新款|旧款", "status": "off_shelf"}
        return csv_text(
            row(
                **common,
                sku_code="P1-A",
                options="颜色=黑",
                price="120.00",
                original_price="150",
                stock="9",
            ),
            row(**common, sku_code="P1-C", options="颜色=蓝", price="90", stock="4"),
            row(product_code="P2", title="音箱", sku_code="P2-1"),
        )

    def test_dry_run_counts_and_writes_nothing(self, headphones):
        before = catalog_snapshot()
        outbox = OutboxEvent.objects.count()

        report = run_import(self.updating_file(), dry_run=True)

        assert report == ImportReport(
            applied=False,
            dry_run=True,
            products_created=1,
            products_updated=1,
            skus_created=2,
            skus_updated=1,
            errors=[],
            rows=3,
        )
        assert catalog_snapshot() == before
        assert OutboxEvent.objects.count() == outbox

    def test_upsert_updates_product_prices_and_stock_and_leaves_absent_skus_alone(self, headphones):
        OutboxEvent.objects.all().delete()

        report = run_import(self.updating_file())

        assert report == ImportReport(True, False, 1, 1, 2, 1, [], 3)
        headphones.refresh_from_db()
        assert (headphones.title, headphones.status) == ("降噪耳机", "off_shelf")
        assert sorted(tag.name for tag in headphones.tags.all()) == ["新款", "旧款"]
        assert (headphones.price_min, headphones.price_max) == (9000, 20000)
        assert sku_rows(headphones) == [
            ("P1-A", {"颜色": "黑"}, 12000, 15000, 99, 9),
            ("P1-B", {"颜色": "白"}, 20000, None, 99, 7),  # not in the file: untouched
            ("P1-C", {"颜色": "蓝"}, 9000, None, 99, 4),
        ]
        p1_a = Sku.objects.get(code="P1-A")
        assert events("catalog.ProductChanged") == [
            {"product_id": headphones.pk, "change": "updated"},  # title and tags
            {"product_id": headphones.pk, "change": "status"},
            {"product_id": headphones.pk, "change": "updated"},  # SKUs added and repriced
            {"product_id": Product.objects.get(code="P2").pk, "change": "created"},
        ]
        assert events("inventory.StockChanged") == [{"sku_id": p1_a.pk, "available": 9}]

    def test_an_unchanged_file_writes_nothing(self, headphones):
        run_import(self.updating_file())
        before = catalog_snapshot()
        outbox = OutboxEvent.objects.count()

        report = run_import(self.updating_file())

        assert report == ImportReport(True, False, 0, 0, 0, 0, [], 3)
        assert catalog_snapshot() == before
        assert OutboxEvent.objects.count() == outbox

    def test_empty_brand_and_original_price_clear_them_and_the_category_moves(
        self, headphones, audio
    ):
        services.sku_set_price(
            sku_id=Sku.objects.get(code="P1-A").pk, price=10000, original_price=12000
        )
        speakers = services.category_create(name="音箱", slug="speakers")
        text = csv_text(
            row(
                title="耳机",
                category="speakers",
                tags="旧款",
                sku_code="P1-A",
                options="颜色=黑",
                price="100",
                stock="5",
            )
        )

        report = run_import(text)

        assert report == ImportReport(True, False, 0, 1, 0, 1, [], 1)
        headphones.refresh_from_db()
        assert (headphones.brand_id, headphones.category_id) == (None, speakers.pk)
        assert Sku.objects.get(code="P1-A").original_price is None


class TestSkuUpsertService:
    """`services.sku_upsert_many` refuses what the import checks, when called on its own."""

    @pytest.fixture
    def product(self, audio) -> Product:
        return factories.product(in_category=audio, prices=(100, 200))  # 颜色=色0, 色1

    def test_adds_and_reprices_in_one_announcement(self, product):
        first, second = product.skus.order_by("position")
        OutboxEvent.objects.all().delete()

        result = services.sku_upsert_many(
            product_id=product.pk,
            skus=[
                services.SkuInput(code=first.code, price=150, options={"颜色": "色0"}, stock=1),
                services.SkuInput(code="NEW", price=50, options={"颜色": "新"}, stock=6),
            ],
        )

        assert result == services.SkuUpsertResult(created=1, updated=1)
        assert sku_rows(product) == [
            (first.code, {"颜色": "色0"}, 150, None, 99, 10),  # stock is inventory's business
            (second.code, {"颜色": "色1"}, 200, None, 99, 10),
            ("NEW", {"颜色": "新"}, 50, None, 99, 6),
        ]
        product.refresh_from_db()
        assert (product.price_min, product.price_max) == (50, 200)
        assert events("catalog.ProductChanged") == [{"product_id": product.pk, "change": "updated"}]

    @pytest.mark.parametrize(
        ("sku", "error"),
        [
            (services.SkuInput(code="X", price=1, options={"颜色": "色1"}), ValidationFailed),
            (services.SkuInput(code="{own}", price=1, options={"颜色": "别的"}), ValidationFailed),
            (services.SkuInput(code="{other}", price=1, options={"颜色": "色0"}), Conflict),
            (services.SkuInput(code="X", price=1, max_per_order=0), ValidationFailed),
        ],
    )
    def test_refusals_change_nothing(self, product, audio, sku, error):
        other = factories.product(in_category=audio)
        code = sku.code.format(own=product.skus.first().code, other=other.skus.get().code)
        before = catalog_snapshot()

        with pytest.raises(error):
            services.sku_upsert_many(
                product_id=product.pk,
                skus=[dataclasses.replace(sku, code=code)],
            )

        assert catalog_snapshot() == before


class TestExport:
    def test_round_trip_changes_nothing(self, audio, sony):
        child = services.category_create(name="头戴式", slug="over-ear", parent_id=audio.pk)
        first = factories.product(
            title="=SUM(A1) 特价",
            in_category=child,
            with_brand=sony,
            prices=(19900, 25900),
            stock=(3, 0),
            tags=["热卖", "新品"],
        )
        services.sku_set_price(sku_id=first.skus.first().pk, price=19900, original_price=29900)
        services.product_update(
            product_id=first.pk,
            subtitle="-50%, 限时",
            description_html='<p>Hello, "world"</p>\n<p>第二行</p>',
        )
        second = factories.product(title="蓝牙音箱", in_category=audio, status="draft")
        hidden = second.skus.get()
        Sku.objects.filter(pk=hidden.pk).update(is_active=False)
        factories.product(title="便携音箱", in_category=audio, prices=(100, 200))
        before = catalog_snapshot()
        outbox = OutboxEvent.objects.count()

        text = export_text()
        report = run_import(text)

        assert report == ImportReport(True, False, 0, 0, 0, 0, [], 4)
        assert catalog_snapshot() == before
        assert OutboxEvent.objects.count() == outbox
        assert export_text() == text
        lines = text.split("\r\n")
        assert lines[0] == ",".join(csv_io.COLUMNS)
        assert lines[1].startswith(
            f"{first.code},'=SUM(A1) 特价,Wireless Headphones,\"'-50%, 限时\""
        )
        assert hidden.code not in text

    def test_exports_a_category_subtree_in_the_import_format(self, audio, sony):
        child = services.category_create(name="头戴式", slug="over-ear", parent_id=audio.pk)
        other = services.category_create(name="音箱", slug="speakers")
        inside = factories.product(in_category=child, with_brand=sony, tags=["新品"])
        factories.product(in_category=other)

        text = export_text(category_slug="audio")

        assert text.split("\r\n") == [
            ",".join(csv_io.COLUMNS),
            f"{inside.code},无线蓝牙降噪耳机,Wireless Headphones,,over-ear,sony,新品,on_sale,,"
            f"{inside.code}-0,颜色=色0,199.00,,10,99",
            "",
        ]

    def test_unknown_category(self):
        with pytest.raises(NotFound):
            export_text(category_slug="nope")


class TestQueryBudgets:
    @pytest.mark.parametrize("products", [1, 6])
    def test_checking_costs_the_same_queries_for_any_number_of_products(
        self, audio, sony, products, django_assert_num_queries
    ):
        for _ in range(products):
            factories.product(in_category=audio, with_brand=sony, prices=(100, 200), tags=["新"])
        text = export_text()

        # categories, brands, products, their tags, their SKUs, the file's SKUs with stock
        with django_assert_num_queries(6):
            report = run_import(text, dry_run=True)

        assert (report.errors, report.rows) == ([], 2 * products)

    @pytest.mark.parametrize("products", [1, 6])
    def test_export_costs_the_same_queries_for_any_number_of_products(
        self, audio, sony, products, django_assert_num_queries
    ):
        for _ in range(products):
            factories.product(in_category=audio, with_brand=sony, prices=(100, 200), tags=["新"])

        with django_assert_num_queries(3):  # products (+ category, brand), tags, SKUs + stock
            text = export_text()

        assert text.count("\r\n") == 1 + 2 * products


class TestCommands:
    def test_import_command_dry_run_then_import(self, audio, tmp_path: Path):
        path = tmp_path / "catalog.csv"
        path.write_bytes(
            csv_text(row(), row(sku_code="P1-2", options="颜色=白")).encode("utf-8-sig")
        )
        out = io.StringIO()

        call_command("catalog_import", str(path), "--dry-run", "--no-progress", stdout=out)

        assert out.getvalue() == (
            "Dry run, nothing written. 2 rows checked: would create 1 products and 2 SKUs, "
            "update 0 products and 0 SKUs.\n"
        )
        assert Product.objects.count() == 0
        out = io.StringIO()
        call_command("catalog_import", str(path), "--no-progress", stdout=out)
        assert out.getvalue() == (
            "2 rows imported: did create 1 products and 2 SKUs, update 0 products and 0 SKUs.\n"
        )
        assert Product.objects.get().skus.count() == 2

    def test_import_command_prints_errors_and_fails(self, audio, tmp_path: Path):
        path = tmp_path / "catalog.csv"
        path.write_text(csv_text(*(row(sku_code=f"S{n}", price="0") for n in range(3))))
        err = io.StringIO()

        with pytest.raises(CommandError, match=r"^3 errors; nothing was imported\.$"):
            call_command(
                "catalog_import", str(path), "--no-progress", "--show-errors=2", stderr=err
            )

        assert err.getvalue() == (
            "line 2, price: The amount must be more than 0.\n"
            "line 3, price: The amount must be more than 0.\n"
            "… and 1 more errors\n"
        )
        assert Product.objects.count() == 0

    def test_export_command_writes_a_bom_and_refuses_unknown_categories(
        self, audio, tmp_path: Path
    ):
        product = factories.product(in_category=audio)
        path = tmp_path / "export.csv"

        call_command("catalog_export", str(path), "--no-progress", stdout=io.StringIO())

        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbfproduct_code,")
        assert f"{product.code},无线蓝牙降噪耳机".encode() in data
        with pytest.raises(CommandError, match=r"^No category has the slug “nope”\.$"):
            call_command("catalog_export", str(tmp_path / "none.csv"), "--category=nope")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]
