"""Catalog reads. Public reads only show products on sale; staff previews pass `include_hidden`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db.models import Exists, F, Min, OuterRef, Prefetch, QuerySet

from circlemart.catalog.contracts import (
    TREE_GENERATION,
    BrandView,
    CategoryNode,
    ImageView,
    IndexableProduct,
    ProductCard,
    ProductDetail,
    SkuForSale,
    SkuView,
    StockValues,
)
from circlemart.catalog.models import Brand, Category, Product, ProductImage, Sku
from circlemart.core.cache import cached
from circlemart.inventory import selectors as inventory


def _node(category: Category) -> CategoryNode:
    return CategoryNode(
        id=category.pk,
        name=category.name,
        name_en=category.name_en,
        slug=category.slug,
        depth=category.depth,
        parent_id=category.parent_id,
        path=category.path,
        icon=category.icon,
    )


def category_tree() -> list[CategoryNode]:
    """The active tree, roots first; cached until the tree's generation is bumped."""
    return cached("catalog:category-tree", [TREE_GENERATION], _build_tree, timeout=3600)


def _build_tree() -> list[CategoryNode]:
    nodes: dict[int, CategoryNode] = {}
    roots: list[CategoryNode] = []
    for category in Category.objects.filter(is_active=True).order_by("depth", "position", "path"):
        node = _node(category)
        nodes[category.pk] = node
        if category.parent_id is None:
            roots.append(node)
        elif category.parent_id in nodes:
            nodes[category.parent_id].children.append(node)
    return roots


def category_by_slug(slug: str) -> CategoryNode | None:
    category = Category.objects.filter(slug=slug, is_active=True).first()
    return _node(category) if category else None


def category_by_id(category_id: int) -> CategoryNode | None:
    category = Category.objects.filter(pk=category_id, is_active=True).first()
    return _node(category) if category else None


def category_trail(path: str) -> list[CategoryNode]:
    """Root → … → this category, from the path prefixes."""
    step = 4
    prefixes = [path[:end] for end in range(step, len(path) + 1, step)]
    return [_node(c) for c in Category.objects.filter(path__in=prefixes).order_by("depth")]


def category_children(category_id: int) -> list[CategoryNode]:
    return [
        _node(c)
        for c in Category.objects.filter(parent_id=category_id, is_active=True).order_by(
            "position", "path"
        )
    ]


def categories_by_id(ids: Iterable[int]) -> dict[int, CategoryNode]:
    return {c.pk: _node(c) for c in Category.objects.filter(pk__in=list(ids))}


def brands(ids: Iterable[int] | None = None) -> list[BrandView]:
    query = Brand.objects.all() if ids is None else Brand.objects.filter(pk__in=list(ids))
    return [BrandView(id=b.pk, name=b.name, name_en=b.name_en, slug=b.slug) for b in query]


def brand_by_slug(slug: str) -> BrandView | None:
    brand = Brand.objects.filter(slug=slug).first()
    return (
        BrandView(id=brand.pk, name=brand.name, name_en=brand.name_en, slug=brand.slug)
        if brand
        else None
    )


def _has_stock() -> Exists:
    """Whether the product (the outer query's row) has an active SKU with stock available."""
    return Exists(
        Sku.objects.filter(
            product=OuterRef("pk"), is_active=True, id__in=inventory.in_stock_sku_ids()
        )
    )


def _with_stock_flag(query: QuerySet[Product]) -> QuerySet[Product]:
    return query.annotate(has_stock=_has_stock(), lowest_original=Min("skus__original_price"))


def _card(product: Product) -> ProductCard:
    return ProductCard(
        id=product.pk,
        title=product.title,
        title_en=product.title_en,
        price_min=product.price_min,
        price_max=product.price_max,
        original_price=getattr(product, "lowest_original", None),
        currency=product.currency,
        cover=product.cover,
        sales_count=product.sales_count,
        rating_average=product.rating_average,
        rating_count=product.rating_count,
        in_stock=bool(getattr(product, "has_stock", False)),
        brand_name=product.brand.name if product.brand else "",
    )


def product_cards(ids: list[int]) -> list[ProductCard]:
    """Cards for on-sale products, in the order of `ids` (missing or hidden ones dropped)."""
    if not ids:
        return []
    query = _with_stock_flag(
        Product.objects.filter(pk__in=ids, status=Product.Status.ON_SALE).select_related("brand")
    )
    by_id = {product.pk: _card(product) for product in query}
    return [by_id[product_id] for product_id in ids if product_id in by_id]


def hot_product_ids(limit: int = 12) -> list[int]:
    """The best-selling on-sale products, best first (for cached cards: ids only)."""
    return list(
        Product.objects.filter(status=Product.Status.ON_SALE)
        .order_by("-sales_count", "-id")
        .values_list("id", flat=True)[:limit]
    )


def hot_products(limit: int = 12) -> list[ProductCard]:
    return product_cards(hot_product_ids(limit))


def new_product_ids(limit: int = 12) -> list[int]:
    """The newest on-sale products, newest first (for cached cards: ids only)."""
    return list(
        Product.objects.filter(status=Product.Status.ON_SALE)
        .order_by("-published_at", "-id")
        .values_list("id", flat=True)[:limit]
    )


def new_products(limit: int = 12) -> list[ProductCard]:
    return product_cards(new_product_ids(limit))


def product_detail(product_id: int, *, include_hidden: bool = False) -> ProductDetail | None:
    """Four queries: product (+brand, category), SKUs, images, tags; plus one for stock."""
    query = Product.objects.select_related("brand", "category").prefetch_related(
        Prefetch("skus", queryset=Sku.objects.filter(is_active=True).order_by("position", "id")),
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        "tags",
    )
    if not include_hidden:
        query = query.filter(status=Product.Status.ON_SALE)
    product = query.filter(pk=product_id).first()
    if product is None:
        return None
    skus = list(product.skus.all())
    stock = inventory.available_by_sku(sku.pk for sku in skus)
    option_names: list[str] = []
    for sku in skus:
        for name in sku.options or {}:
            if name not in option_names:
                option_names.append(name)
    brand = product.brand
    return ProductDetail(
        id=product.pk,
        code=product.code,
        title=product.title,
        title_en=product.title_en,
        subtitle=product.subtitle,
        description_html=product.description_html,
        status=product.status,
        currency=product.currency,
        price_min=product.price_min,
        price_max=product.price_max,
        sales_count=product.sales_count,
        rating_average=product.rating_average,
        rating_count=product.rating_count,
        brand=BrandView(id=brand.pk, name=brand.name, name_en=brand.name_en, slug=brand.slug)
        if brand
        else None,
        category_trail=category_trail(product.category.path),
        tags=[tag.name for tag in product.tags.all()],
        images=[
            ImageView(
                url=image.image.url,
                thumbnail_url=image.thumbnail.url if image.thumbnail else image.image.url,
                alt=image.alt or product.title,
                width=image.width,
                height=image.height,
            )
            for image in product.images.all()
        ],
        skus=[
            SkuView(
                id=sku.pk,
                code=sku.code,
                options=dict(sku.options or {}),
                price=sku.price,
                original_price=sku.original_price,
                available=max(stock.get(sku.pk, 0), 0),
                max_per_order=sku.max_per_order,
            )
            for sku in skus
        ],
        option_names=option_names,
        updated_at=product.updated_at,
    )


def products_for_index(ids: list[int]) -> list[IndexableProduct]:
    query = _with_stock_flag(
        Product.objects.filter(pk__in=ids).select_related("brand", "category")
    ).prefetch_related("tags", Prefetch("skus", queryset=Sku.objects.filter(is_active=True)))
    products = list(query)
    paths = {product.category.path for product in products}
    prefixes = {path[:end] for path in paths for end in range(4, len(path) + 1, 4)}
    names_by_path = dict(Category.objects.filter(path__in=prefixes).values_list("path", "name"))
    english_by_path = dict(
        Category.objects.filter(path__in=prefixes).values_list("path", "name_en")
    )
    documents = []
    for product in products:
        path = product.category.path
        trail = [path[:end] for end in range(4, len(path) + 1, 4)]
        category_names = [names_by_path.get(p, "") for p in trail] + [
            english_by_path.get(p, "") for p in trail
        ]
        option_values = sorted(
            {str(value) for sku in product.skus.all() for value in (sku.options or {}).values()}
        )
        documents.append(
            IndexableProduct(
                id=product.pk,
                title=product.title,
                title_en=product.title_en,
                subtitle=product.subtitle,
                brand_id=product.brand_id,
                brand_name=product.brand.name if product.brand else "",
                brand_name_en=product.brand.name_en if product.brand else "",
                category_id=product.category_id,
                category_path=path,
                category_names=[name for name in category_names if name],
                tags=[tag.name for tag in product.tags.all()],
                option_values=option_values,
                price_min=product.price_min,
                is_on_sale=product.status == Product.Status.ON_SALE,
                in_stock=bool(product.has_stock),  # type: ignore[attr-defined]
                sales_count=product.sales_count,
                rating_average=product.rating_average,
                published_at=product.published_at,
            )
        )
    return documents


def product_ids_in_batches(batch_size: int = 1000, after_id: int = 0) -> Iterator[list[int]]:
    """Every product id, ascending, in batches (for resumable reindexing)."""
    last = after_id
    while True:
        batch = list(
            Product.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def product_count() -> int:
    return Product.objects.count()


def product_stock_values(product_id: int) -> StockValues | None:
    """The index's stock-dependent values of one product, computed as products_for_index does."""
    row = (
        Product.objects.filter(pk=product_id)
        .annotate(has_stock=_has_stock())
        .values_list("status", "has_stock", "sales_count")
        .first()
    )
    if row is None:
        return None
    status, has_stock, sales_count = row
    return StockValues(
        is_on_sale=status == Product.Status.ON_SALE,
        in_stock=bool(has_stock),
        sales_count=sales_count,
    )


def product_id_for_sku(sku_id: int) -> int | None:
    return Sku.objects.filter(pk=sku_id).values_list("product_id", flat=True).first()


def vocabulary_sources() -> tuple[list[str], list[str]]:
    """Brand names and category names: the segmentation user dictionary's seed terms."""
    brand_names = [
        name for pair in Brand.objects.values_list("name", "name_en") for name in pair if name
    ]
    category_names = list(Category.objects.values_list("name", flat=True))
    return brand_names, category_names


def skus_for_sale(sku_ids: Iterable[int]) -> dict[int, SkuForSale]:
    """SKUs by id with their product's title, cover and status, in one query. Unknown ids are
    absent; inactive SKUs and products not on sale come back with is_sellable False."""
    rows = Sku.objects.filter(pk__in=list(sku_ids)).select_related("product__category")
    return {
        sku.pk: SkuForSale(
            sku_id=sku.pk,
            sku_code=sku.code,
            product_id=sku.product_id,
            title=sku.product.title,
            title_en=sku.product.title_en,
            options=dict(sku.options or {}),
            price=sku.price,
            original_price=sku.original_price,
            currency=sku.product.currency,
            max_per_order=sku.max_per_order,
            cover=sku.product.cover,
            category_path=sku.product.category.path,
            is_sellable=sku.is_active and sku.product.status == Product.Status.ON_SALE,
        )
        for sku in rows
    }


def product_category_ids(product_ids: Iterable[int]) -> dict[int, int]:
    """Product id → its category id, in one query (unknown ids are absent)."""
    return dict(Product.objects.filter(pk__in=list(product_ids)).values_list("pk", "category_id"))


def products_for_analytics() -> Iterator[Mapping[str, Any]]:
    """Every product (any status) for the analytics warehouse snapshot, as plain rows: id,
    category_id, category_path (its top-level category is the first path segment), brand_id,
    status, is_on_sale, price (lowest SKU price, minor units), currency, created_at,
    published_at. Streamed in id order; no titles or text."""
    rows = Product.objects.order_by("pk").values(
        "id",
        "category_id",
        "brand_id",
        "status",
        "price_min",
        "currency",
        "created_at",
        "published_at",
        category_path=F("category__path"),
    )
    for row in rows.iterator(chunk_size=5000):
        yield {
            **row,
            "is_on_sale": row["status"] == Product.Status.ON_SALE,
            "price": row["price_min"],
        }


# --- Recommendations' training data ----------------------------------------------------------


def on_sale_product_ids() -> list[int]:
    """Every product on sale, ascending (the items a recommender may suggest)."""
    return list(
        Product.objects.filter(status=Product.Status.ON_SALE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def product_texts_for_recommendations(ids: Iterable[int]) -> dict[int, str]:
    """Product id → its words for a content model: titles, subtitle, description without
    markup, brand, category trail (Chinese and English) and tags. Three queries per call."""
    from html import unescape

    from django.utils.html import strip_tags

    products = list(
        Product.objects.filter(pk__in=list(ids))
        .select_related("brand", "category")
        .prefetch_related("tags")
    )
    prefixes = {
        product.category.path[:end]
        for product in products
        for end in range(4, len(product.category.path) + 1, 4)
    }
    names = {
        path: f"{name} {name_en}".strip()
        for path, name, name_en in Category.objects.filter(path__in=prefixes).values_list(
            "path", "name", "name_en"
        )
    }
    texts: dict[int, str] = {}
    for product in products:
        path = product.category.path
        parts = [
            product.title,
            product.title_en,
            product.subtitle,
            product.brand.name if product.brand else "",
            product.brand.name_en if product.brand else "",
            *(names.get(path[:end], "") for end in range(4, len(path) + 1, 4)),
            *(tag.name for tag in product.tags.all()),
            unescape(strip_tags(product.description_html))[:2000],
        ]
        texts[product.pk] = " ".join(part.strip() for part in parts if part and part.strip())
    return texts
