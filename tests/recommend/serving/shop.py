"""A small shop for serving tests: products in a few categories and brands."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from circlemart.catalog.models import Brand, Category, Product
from tests.catalog import factories

_shops = itertools.count(1)


@dataclass
class Shop:
    categories: list[Category] = field(default_factory=list)
    brands: list[Brand] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)

    def ids(self) -> list[int]:
        return [p.pk for p in self.products]


def make_shop(
    count: int, *, categories: int = 4, brands: int = 4, titles: list[str] | None = None
) -> Shop:
    """`count` products; product n is in category n % categories and brand n % brands."""
    shop, number = Shop(), next(_shops)
    shop.categories = [
        factories.category(f"类目{n}", name_en=f"Category {n}") for n in range(categories)
    ]
    shop.brands = [
        factories.brand(f"品牌{number}-{n}", f"Brand {number}-{n}") for n in range(brands)
    ]
    for n in range(count):
        title = titles[n] if titles else f"商品{n}"
        shop.products.append(
            factories.product(
                title=title,
                title_en=f"Product {n}",
                in_category=shop.categories[n % categories],
                with_brand=shop.brands[n % brands],
            )
        )
    return shop
