"""The SKU matrix: option combinations become SKUs; kept combinations keep their SKU and stock,
removed ones are deactivated; the product page posts it in yuan; descriptions are sanitised."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from circlemart.catalog import services
from circlemart.catalog.admin_sku_matrix import SkuMatrixField
from circlemart.catalog.models import Sku
from circlemart.core.errors import ValidationFailed
from circlemart.inventory import selectors as inventory_selectors
from tests.catalog import factories
from tests.catalog.test_admin import inline_management, merchant  # noqa: F401

pytestmark = pytest.mark.django_db


def row(options: dict[str, str], code: str, price: int, stock: int = 5) -> services.SkuInput:
    return services.SkuInput(code=code, price=price, options=options, stock=stock)


def test_regenerating_keeps_matching_skus_and_deactivates_the_rest():
    product = factories.product(prices=(1000, 2000), stock=(7, 9))
    red, blue = product.skus.order_by("pk")
    result = services.product_sku_matrix_apply(
        product_id=product.pk,
        skus=[
            row(dict(red.options), red.code, 1500, stock=7),
            row({"颜色": "绿"}, f"{product.code}-G", 1800, stock=4),
        ],
    )
    assert (result.created, result.updated, result.deactivated) == (1, 1, 1)
    red.refresh_from_db()
    blue.refresh_from_db()
    assert (red.price, red.is_active, blue.is_active) == (1500, True, False)
    assert inventory_selectors.stock_of(red.pk)[0] == 7
    green = Sku.objects.get(code=f"{product.code}-G")
    assert inventory_selectors.stock_of(green.pk)[0] == 4
    product.refresh_from_db()
    assert (product.price_min, product.price_max) == (1500, 1800)
    # the removed combination coming back reactivates the same SKU (same id, same stock)
    services.product_sku_matrix_apply(
        product_id=product.pk,
        skus=[row(dict(blue.options), blue.code, 2100, stock=9)],
    )
    blue.refresh_from_db()
    assert (blue.is_active, blue.price) == (True, 2100)
    assert inventory_selectors.stock_of(blue.pk)[0] == 9


def test_codes_may_swap_between_rows_and_duplicates_are_refused():
    product = factories.product(prices=(1000, 2000))
    first, second = product.skus.order_by("pk")
    services.product_sku_matrix_apply(
        product_id=product.pk,
        skus=[
            row(dict(first.options), second.code, 1000),
            row(dict(second.options), first.code, 2000),
        ],
    )
    old_first_code, old_second_code = first.code, second.code
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.code, second.code) == (old_second_code, old_first_code)
    with pytest.raises(ValidationFailed):
        services.product_sku_matrix_apply(
            product_id=product.pk,
            skus=[row({"颜色": "红"}, "SAME", 1000), row({"颜色": "蓝"}, "SAME", 1000)],
        )
    with pytest.raises(ValidationFailed):
        services.product_sku_matrix_apply(product_id=product.pk, skus=[])


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("", "Enter an amount."),
        ("1.234", "Use at most 2 decimal places."),
        ("-5", "The amount cannot be negative."),
        ("0", "the price must be above zero."),
    ],
)
def test_the_matrix_field_reads_yuan_and_reports_the_row(price, problem):
    data = {
        "rows": [
            {"options": {"颜色": "红"}, "code": "A", "price": "9.90"},
            {"options": {"颜色": "蓝"}, "code": "B", "price": price},
        ]
    }
    field = SkuMatrixField()
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        field.clean(json.dumps(data))
    assert refused.value.messages == [f"SKU row 2: {problem}"]
    ok = field.clean(
        json.dumps({"rows": [{"options": {}, "code": "A", "price": "¥6,003.9", "stock": "3"}]})
    )
    assert (ok[0].price, ok[0].stock, ok[0].max_per_order) == (600390, 3, 99)


def test_the_product_page_saves_the_matrix_and_a_sanitised_description(merchant: Client):  # noqa: F811
    product = factories.product(prices=(19900,), stock=(3,))
    sku = product.skus.get()
    page = merchant.get(f"/admin/catalog/product/{product.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="sku-matrix"' in html
    assert "&quot;price&quot;: &quot;199.00&quot;" in html  # the matrix JSON, in yuan
    assert "django_prose_editor/editor.js" in html
    data = {
        "code": product.code,
        "title": product.title,
        "title_en": product.title_en,
        "subtitle": "",
        "category": product.category_id,
        "brand": "",
        "status": "on_sale",
        "currency": "CNY",
        "description_html": '<p onclick="x()">好<script>alert(1)</script></p>',
        **inline_management("skus", 1, 1),
        "skus-0-id": sku.pk,
        "skus-0-product": product.pk,
        **inline_management("images", 0),
        "sku_matrix": json.dumps(
            {
                "rows": [
                    {
                        "options": dict(sku.options),
                        "code": sku.code,
                        "price": "59.90",
                        "stock": "3",
                    },
                    {
                        "options": {"颜色": "新"},
                        "code": f"{product.code}-N",
                        "price": "69.9",
                        "original_price": "99",
                        "stock": "12",
                    },
                ]
            }
        ),
        "_continue": "1",
    }
    response = merchant.post(f"/admin/catalog/product/{product.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sku.refresh_from_db()
    assert sku.price == 5990
    fresh = Sku.objects.get(code=f"{product.code}-N")
    assert (fresh.price, fresh.original_price) == (6990, 9900)
    product.refresh_from_db()
    assert "script" not in product.description_html
    assert "onclick" not in product.description_html
    assert "<p>好</p>" in product.description_html
