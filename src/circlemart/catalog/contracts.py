"""What crosses the catalog boundary: read models for pages, search and checkout."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    name_en: str
    slug: str
    depth: int
    parent_id: int | None
    path: str
    icon: str = ""
    children: list[CategoryNode] = field(default_factory=list)


@dataclass(frozen=True)
class BrandView:
    id: int
    name: str
    name_en: str
    slug: str


@dataclass(frozen=True)
class ProductCard:
    """A product in a list: enough for a tile, nothing more."""

    id: int
    title: str
    title_en: str
    price_min: int
    price_max: int
    original_price: int | None
    currency: str
    cover: str
    sales_count: int
    rating_average: float
    rating_count: int
    in_stock: bool
    brand_name: str


@dataclass(frozen=True)
class SkuView:
    id: int
    code: str
    options: dict[str, str]
    price: int
    original_price: int | None
    available: int
    max_per_order: int


@dataclass(frozen=True)
class ImageView:
    url: str
    thumbnail_url: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class ProductDetail:
    id: int
    code: str
    title: str
    title_en: str
    subtitle: str
    description_html: str
    status: str
    currency: str
    price_min: int
    price_max: int
    sales_count: int
    rating_average: float
    rating_count: int
    brand: BrandView | None
    category_trail: list[CategoryNode]
    tags: list[str]
    images: list[ImageView]
    skus: list[SkuView]
    option_names: list[str]
    updated_at: datetime


@dataclass(frozen=True)
class StockValues:
    """What a change of stock can change about a product: whether it can be bought, and (its
    units sold are counted with the same commit) how many were sold."""

    is_on_sale: bool
    in_stock: bool
    sales_count: int


@dataclass(frozen=True)
class IndexableProduct:
    """Everything the search index needs about one product."""

    id: int
    title: str
    title_en: str
    subtitle: str
    brand_id: int | None
    brand_name: str
    brand_name_en: str
    category_id: int
    category_path: str
    category_names: list[str]
    tags: list[str]
    option_values: list[str]
    price_min: int
    is_on_sale: bool
    in_stock: bool
    sales_count: int
    rating_average: float
    published_at: datetime | None


# Cache generation names (core.cache): bumped in the same transaction as the change.
LISTING_GENERATION = "catalog:listing"
TREE_GENERATION = "catalog:tree"


def product_generation(product_id: int) -> str:
    return f"catalog:product:{product_id}"


@dataclass(frozen=True)
class SkuForSale:
    """What cart, pricing and checkout need to know about a SKU, read in one query."""

    sku_id: int
    sku_code: str
    product_id: int
    title: str
    title_en: str
    options: dict[str, str]
    price: int
    original_price: int | None
    currency: str
    max_per_order: int
    cover: str
    category_path: str
    is_sellable: bool  # the SKU is active and its product is on sale
