"""Catalog fixtures built through the catalog services (so derived fields are right)."""

from __future__ import annotations

import itertools

from circlemart.catalog import services
from circlemart.catalog.models import Brand, Category, Product

_numbers = itertools.count(1)


def category(name: str = "数码", *, parent: Category | None = None, name_en: str = "") -> Category:
    number = next(_numbers)
    return services.category_create(
        name=name,
        name_en=name_en,
        slug=f"cat-{number}",
        parent_id=parent.pk if parent else None,
    )


def brand(name: str = "索尼", name_en: str = "Sony") -> Brand:
    number = next(_numbers)
    return services.brand_create(
        name=f"{name}{number}" if name == "索尼" else name, name_en=name_en, slug=f"brand-{number}"
    )


def product(
    *,
    title: str = "无线蓝牙降噪耳机",
    title_en: str = "Wireless Headphones",
    in_category: Category | None = None,
    with_brand: Brand | None = None,
    prices: tuple[int, ...] = (19900,),
    stock: tuple[int, ...] | None = None,
    status: str = Product.Status.ON_SALE,
    tags: list[str] | None = None,
) -> Product:
    number = next(_numbers)
    stocks = stock if stock is not None else tuple(10 for _ in prices)
    return services.product_create(
        data=services.ProductInput(
            code=f"P{number:05d}",
            title=title,
            title_en=title_en,
            category_id=(in_category or category()).pk,
            brand_id=with_brand.pk if with_brand else None,
            status=status,
            tags=tags or [],
            skus=[
                services.SkuInput(
                    code=f"P{number:05d}-{index}",
                    price=price,
                    options={"颜色": f"色{index}"},
                    stock=stocks[index],
                )
                for index, price in enumerate(prices)
            ],
        )
    )
