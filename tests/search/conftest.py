"""A small catalog built through catalog services, indexed by relaying the outbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from circlemart.catalog import services as catalog
from circlemart.catalog.models import Product
from circlemart.core.events import relay_pending
from circlemart.search import segment, services

_codes = itertools.count(1)


@dataclass
class CatalogBuilder:
    """Creates categories, brands and products with catalog services (as the back office
    would), so every change reaches search through the outbox."""

    categories: dict[str, int] = field(default_factory=dict)
    brands: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)

    def category(self, key: str, name: str, *, parent: str | None = None, name_en: str = "") -> int:
        category = catalog.category_create(
            name=name,
            slug=f"{key}-{next(_codes)}",
            name_en=name_en,
            parent_id=self.categories[parent] if parent else None,
        )
        self.categories[key] = category.pk
        return category.pk

    def brand(self, key: str, name: str, *, name_en: str = "") -> int:
        brand = catalog.brand_create(name=name, slug=f"{key}-{next(_codes)}", name_en=name_en)
        self.brands[key] = brand.pk
        return brand.pk

    def product(
        self,
        key: str,
        title: str,
        *,
        category: str,
        brand: str | None = None,
        price: int = 9900,
        stock: int = 10,
        title_en: str = "",
        subtitle: str = "",
        tags: list[str] | None = None,
        options: list[dict[str, str]] | None = None,
        status: str = Product.Status.ON_SALE,
    ) -> int:
        code = next(_codes)
        skus = [
            catalog.SkuInput(
                code=f"SKU-{code}-{index}",
                price=price + index * 100,
                options=option,
                stock=stock,
            )
            for index, option in enumerate(options or [{}])
        ]
        product = catalog.product_create(
            data=catalog.ProductInput(
                code=f"P-{code}",
                title=title,
                title_en=title_en,
                subtitle=subtitle,
                category_id=self.categories[category],
                brand_id=self.brands[brand] if brand else None,
                tags=tags or [],
                skus=skus,
                status=status,
            )
        )
        self.products[key] = product.pk
        return product.pk

    def stats(
        self,
        key: str,
        *,
        sales: int | None = None,
        ratings: tuple[int, int] | None = None,
        published_at: datetime | None = None,
    ) -> None:
        """Sales, ratings and publication time have no catalog service yet (orders and
        reviews will maintain them), so tests set the columns, then announce the change."""
        changes: dict[str, object] = {}
        if sales is not None:
            changes["sales_count"] = sales
        if ratings is not None:
            changes["rating_count"], changes["rating_sum"] = ratings
        if published_at is not None:
            changes["published_at"] = published_at
        Product.objects.filter(pk=self.products[key]).update(**changes)
        services.index_products([self.products[key]])

    def id(self, key: str) -> int:
        return self.products[key]


def relay() -> int:
    """Deliver pending outbox events now (after commit, a Celery task would)."""
    return relay_pending()


@pytest.fixture
def builder(db: None) -> CatalogBuilder:
    return CatalogBuilder()


@pytest.fixture
def shop(builder: CatalogBuilder) -> CatalogBuilder:
    """数码 › 耳机 / 手机, 服饰 › 女装 › 连衣裙, 美妆 › 洗面奶; four brands; nine products on
    sale, one draft and one taken off the shelf."""
    b = builder
    b.category("digital", "数码", name_en="Electronics")
    b.category("audio", "耳机", parent="digital", name_en="Headphones")
    b.category("phones", "手机", parent="digital", name_en="Phones")
    b.category("apparel", "服饰", name_en="Apparel")
    b.category("women", "女装", parent="apparel", name_en="Womenswear")
    b.category("dresses", "连衣裙", parent="women", name_en="Dresses")
    b.category("beauty", "美妆", name_en="Beauty")
    b.category("cleanser", "洗面奶", parent="beauty", name_en="Cleansers")
    b.brand("sony", "索尼", name_en="Sony")
    b.brand("apple", "苹果", name_en="Apple")
    b.brand("xiaomi", "小米", name_en="Xiaomi")
    b.brand("uniqlo", "优衣库", name_en="Uniqlo")
    b.product(
        "sony",
        "索尼 WH-1000XM4 无线蓝牙降噪耳机",
        title_en="Sony WH-1000XM4 Wireless Noise Cancelling Headphones",
        category="audio",
        brand="sony",
        price=199900,
        stock=5,
        tags=["新品", "降噪"],
        options=[{"颜色": "黑色"}, {"颜色": "银色"}],
    )
    b.product(
        "airpods",
        "苹果 AirPods Pro 蓝牙耳机",
        category="audio",
        brand="apple",
        price=179900,
        stock=0,
        tags=["热卖"],
    )
    b.product(
        "buds",
        "小米 Redmi Buds 真无线耳机",
        category="audio",
        brand="xiaomi",
        price=9900,
        tags=["热卖"],
    )
    b.product("mi14", "小米 14 手机", category="phones", brand="xiaomi", price=399900, stock=3)
    b.product(
        "iphone",
        "苹果 iPhone 15 手机 256GB",
        category="phones",
        brand="apple",
        price=599900,
        stock=2,
        tags=["新品"],
    )
    b.product(
        "floral",
        "优衣库 碎花连衣裙 夏季",
        category="dresses",
        brand="uniqlo",
        price=19900,
        tags=["新品"],
        subtitle="轻薄透气",
    )
    b.product("retro", "法式复古连衣裙", category="dresses", price=29900, stock=1)
    b.product(
        "cleanser",
        "氨基酸洗面奶 温和清洁",
        category="cleanser",
        price=5900,
        subtitle="适合敏感肌",
    )
    b.product("stand", "Headphone stand 耳机支架", category="digital", price=4900)
    b.product("draft", "索尼 草稿耳机", category="audio", brand="sony", status="draft")
    b.product("shelved", "下架的蓝牙耳机", category="audio")
    catalog.product_set_status(product_id=b.id("shelved"), status=Product.Status.OFF_SHELF)
    relay()
    return b


@pytest.fixture
def warm_segmenter(db: None) -> None:
    """Load jieba and the vocabulary before counting queries."""
    segment.segment("预热 warm up")


@pytest.fixture(autouse=True)
def _searches_written_in_the_request(settings: Any) -> None:
    """Tests read the search log right after a search (production batches it)."""
    settings.SEARCH_LOG_FLUSH_SECONDS = 0.0
