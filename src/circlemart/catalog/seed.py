"""Demo catalog: ≥ 60 categories in 3 levels, bilingual brands and products, SKUs, stock and
locally generated images. Repeatable for a seed; a second run adds only what is missing."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from circlemart.catalog.models import Brand, Category, Product, ProductImage, Sku, Tag
from circlemart.catalog.seed_data import ADJECTIVES, BRANDS, OPTIONS, PRICE_RANGE, TAGS, TREE
from circlemart.catalog.services import brand_create, category_create, options_key
from circlemart.core.progress import Progress
from circlemart.inventory import services as inventory

IMAGES_PER_ROOT = 12
DEMO_IMAGE_DIR = "demo/products"


def seed_categories() -> dict[int, tuple[str, str, str]]:
    """Create the tree; returns leaf id → (root slug, leaf zh, leaf en)."""
    leaves: dict[int, tuple[str, str, str]] = {}
    for root_position, (name, name_en, slug, icon, _palette, mids) in enumerate(TREE):
        root = Category.objects.filter(slug=slug).first() or category_create(
            name=name, name_en=name_en, slug=slug, icon=icon, position=root_position
        )
        for mid_position, (mid_name, mid_en, leaf_list) in enumerate(mids):
            mid_slug = f"{slug}-{slugify(mid_en)}"
            mid = Category.objects.filter(slug=mid_slug).first() or category_create(
                name=mid_name,
                name_en=mid_en,
                slug=mid_slug,
                parent_id=root.pk,
                position=mid_position,
            )
            for leaf_position, (leaf_name, leaf_en) in enumerate(leaf_list):
                leaf_slug = f"{mid_slug}-{slugify(leaf_en)}"
                leaf = Category.objects.filter(slug=leaf_slug).first() or category_create(
                    name=leaf_name,
                    name_en=leaf_en,
                    slug=leaf_slug,
                    parent_id=mid.pk,
                    position=leaf_position,
                )
                leaves[leaf.pk] = (slug, leaf_name, leaf_en)
    return leaves


def seed_brands() -> dict[str, list[int]]:
    by_root: dict[str, list[int]] = {}
    for root_slug, names in BRANDS.items():
        for name, name_en in names:
            slug = slugify(name_en) or hashlib.sha1(name.encode()).hexdigest()[:8]  # noqa: S324
            brand = Brand.objects.filter(slug=slug).first() or brand_create(
                name=name, name_en=name_en, slug=slug
            )
            by_root.setdefault(root_slug, []).append(brand.pk)
    return by_root


def _draw_image(rng: random.Random, palette: tuple[str, str], label: str, side: int) -> bytes:
    start = tuple(int(palette[0][i : i + 2], 16) for i in (1, 3, 5))
    end = tuple(int(palette[1][i : i + 2], 16) for i in (1, 3, 5))
    image = Image.new("RGB", (side, side))
    draw = ImageDraw.Draw(image)
    for row in range(side):
        mix = row / side
        colour = tuple(int(a + (b - a) * mix) for a, b in zip(start, end, strict=True))
        draw.line([(0, row), (side, row)], fill=colour)
    for _ in range(rng.randint(2, 4)):
        radius = rng.randint(side // 10, side // 4)
        x, y = rng.randint(radius, side - radius), rng.randint(radius, side - radius)
        shade = tuple(min(255, c + 40) for c in end)
        draw.ellipse(
            [x - radius, y - radius, x + radius, y + radius], fill=shade, outline="white", width=3
        )
    draw.rounded_rectangle(
        [side * 0.22, side * 0.3, side * 0.78, side * 0.78], radius=side // 12, fill="white"
    )
    draw.text((side * 0.28, side * 0.5), label[:18], fill=start)
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=80)
    return buffer.getvalue()


def seed_image_pool(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """A few generated pictures per root category, shared by its products: root → [(full, thumb)]."""
    root_dir = Path(settings.MEDIA_ROOT) / DEMO_IMAGE_DIR
    root_dir.mkdir(parents=True, exist_ok=True)
    pool: dict[str, list[tuple[str, str]]] = {}
    for _name, name_en, slug, _icon, palette, _mids in TREE:
        for number in range(IMAGES_PER_ROOT):
            full = f"{DEMO_IMAGE_DIR}/{slug}-{number}.webp"
            thumb = f"{DEMO_IMAGE_DIR}/{slug}-{number}-400.webp"
            if not (Path(settings.MEDIA_ROOT) / full).exists():
                (Path(settings.MEDIA_ROOT) / full).write_bytes(
                    _draw_image(rng, palette, name_en, 800)
                )
                (Path(settings.MEDIA_ROOT) / thumb).write_bytes(
                    _draw_image(rng, palette, name_en, 400)
                )
            pool.setdefault(slug, []).append((full, thumb))
    return pool


def _price(rng: random.Random, low: int, high: int) -> int:
    """Log-uniform prices ending in 9 or 0, like a real shop's."""
    value = int(low * (high / low) ** rng.random())
    return max(value - value % 100 + rng.choice([0, 90, 99, 900 if value > 10_000 else 90]), 90)


def seed_products(*, rng: random.Random, count: int, progress: bool, batch_size: int = 500) -> int:
    """Create products DEMO-000000 … up to `count`; returns how many were created now."""
    leaves = seed_categories()
    brands_by_root = seed_brands()
    pool = seed_image_pool(random.Random(rng.random()))
    tags = [
        Tag.objects.get_or_create(name=name, defaults={"slug": slugify(name, allow_unicode=True)})[
            0
        ]
        for name in TAGS
    ]
    existing = set(Product.objects.filter(code__startswith="DEMO-").values_list("code", flat=True))
    leaf_ids = sorted(leaves)
    created = 0
    numbers: Iterable[int] = range(0, count, batch_size)
    if progress:
        numbers = Progress(
            numbers, desc="products", unit="batch", total=(count + batch_size - 1) // batch_size
        )
    for start in numbers:
        # Draw every random choice even for existing products, so a re-run stays in step.
        plans = [
            _plan(rng, n, leaves, leaf_ids, brands_by_root, tags)
            for n in range(start, min(start + batch_size, count))
        ]
        fresh = [plan for plan in plans if plan.code not in existing]
        if fresh:
            _insert(fresh, pool)
            created += len(fresh)
    return created


@dataclass(frozen=True)
class SkuPlan:
    options: dict[str, str]
    price: int
    original_price: int | None
    stock: int


@dataclass(frozen=True)
class ProductPlan:
    code: str
    leaf_id: int
    root: str
    brand_id: int
    title: str
    title_en: str
    subtitle: str
    skus: list[SkuPlan]
    tags: list[Tag]
    image: int
    sales: int
    rating_count: int
    rating_sum: int
    published_at: datetime

    def image_paths(self, pool: dict[str, list[tuple[str, str]]]) -> tuple[str, str]:
        return pool[self.root][self.image]


def _plan(
    rng: random.Random,
    number: int,
    leaves: dict[int, tuple[str, str, str]],
    leaf_ids: list[int],
    brands_by_root: dict[str, list[int]],
    tags: list[Tag],
) -> ProductPlan:
    leaf_id = rng.choice(leaf_ids)
    root_slug, leaf_zh, leaf_en = leaves[leaf_id]
    brand_id = rng.choice(brands_by_root[root_slug])
    adjective_zh, adjective_en = rng.choice(ADJECTIVES)
    model = f"{rng.choice('ABCDEFGHKMPRSTXZ')}{rng.randint(1, 99)}"
    low, high = PRICE_RANGE[root_slug]
    base = _price(rng, low, high)
    (first_name, first_values), (second_name, second_values) = OPTIONS[root_slug][:2]
    chosen_first = rng.sample(first_values, k=rng.randint(1, min(3, len(first_values))))
    chosen_second = rng.sample(second_values, k=rng.randint(1, min(2, len(second_values))))
    if len(chosen_first) * len(chosen_second) < 3:
        chosen_first = first_values[:3]
    skus = []
    for i, value_a in enumerate(chosen_first):
        for j, value_b in enumerate(chosen_second):
            price = base + (i + j) * max(base // 20, 100)
            original = price + price // rng.choice([4, 5, 10]) if rng.random() < 0.6 else None
            stock = 0 if rng.random() < 0.08 else rng.randint(1, 500)
            skus.append(
                SkuPlan({first_name: value_a, second_name: value_b}, price, original, stock)
            )
    sales = max(int(rng.paretovariate(1.2) * 10) - 10, 0)
    # Drawn (so every later draw stays where it was) but not used: a product's rating comes
    # from its reviews only (reviews.seed writes them through the real service).
    if sales:
        rng.randint(0, sales)
    rng.uniform(3.6, 5.0)
    subtitles = [
        "官方正品 · 极速发货",
        "7 天无理由退换",
        "达人同款，好评如潮",
        "限时特惠，买贵必赔",
        "",
    ]
    return ProductPlan(
        code=f"DEMO-{number:06d}",
        leaf_id=leaf_id,
        root=root_slug,
        brand_id=brand_id,
        title=f"{adjective_zh}{leaf_zh} {model}",
        title_en=f"{adjective_en} {leaf_en} {model}",
        subtitle=rng.choice(subtitles),
        skus=skus,
        tags=rng.sample(tags, k=rng.randint(0, 3)),
        image=rng.randrange(IMAGES_PER_ROOT),
        sales=sales,
        rating_count=0,
        rating_sum=0,
        published_at=timezone.now()
        - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440)),
    )


def _description(plan: ProductPlan) -> str:
    return (
        f"<p><strong>{plan.title}</strong></p><p>{plan.title_en}</p>"
        "<ul><li>正品保障 · Authentic</li><li>48 小时发货 · Ships in 48h</li>"
        "<li>支持 7 天无理由退货 · 7-day returns</li></ul>"
    )


@transaction.atomic
def _insert(plans: list[ProductPlan], pool: dict[str, list[tuple[str, str]]]) -> None:
    products = Product.objects.bulk_create(
        [
            Product(
                code=plan.code,
                title=plan.title,
                title_en=plan.title_en,
                subtitle=plan.subtitle,
                category_id=plan.leaf_id,
                brand_id=plan.brand_id,
                description_html=_description(plan),
                status=Product.Status.ON_SALE,
                price_min=min(sku.price for sku in plan.skus),
                price_max=max(sku.price for sku in plan.skus),
                sales_count=plan.sales,
                rating_count=plan.rating_count,
                rating_sum=plan.rating_sum,
                cover=settings.MEDIA_URL + plan.image_paths(pool)[1],
                published_at=plan.published_at,
            )
            for plan in plans
        ]
    )
    sku_rows = []
    stock_by_code: dict[str, int] = {}
    for product, plan in zip(products, plans, strict=True):
        for index, sku in enumerate(plan.skus):
            code = f"{product.code}-{index + 1}"
            stock_by_code[code] = sku.stock
            sku_rows.append(
                Sku(
                    product=product,
                    code=code,
                    options=sku.options,
                    options_key=options_key(sku.options),
                    price=sku.price,
                    original_price=sku.original_price,
                    position=index,
                )
            )
    created_skus = Sku.objects.bulk_create(sku_rows, batch_size=2000)
    inventory.stock_create_many({sku.pk: stock_by_code[sku.code] for sku in created_skus})
    ProductImage.objects.bulk_create(
        [
            ProductImage(
                product=product,
                image=plan.image_paths(pool)[0],
                thumbnail=plan.image_paths(pool)[1],
                alt=plan.title,
                width=800,
                height=800,
            )
            for product, plan in zip(products, plans, strict=True)
        ]
    )
    through = Product.tags.through
    through.objects.bulk_create(
        [
            through(product_id=product.pk, tag_id=tag.pk)
            for product, plan in zip(products, plans, strict=True)
            for tag in plan.tags
        ],
        ignore_conflicts=True,
    )


def ratings_match_reviews(summaries: dict[int, tuple[int, int]]) -> int:
    """Give demo products the rating of their published reviews, (count, star sum) by product
    id, and no rating without reviews (worlds seeded before ratings came from reviews had
    invented ones). Returns how many products changed."""
    changed = 0
    stale = Product.objects.filter(code__startswith="DEMO-").exclude(rating_count=0)
    stale = stale.exclude(pk__in=list(summaries))
    with transaction.atomic():
        changed += stale.update(rating_count=0, rating_sum=0)
        for product_id, (count, stars) in sorted(summaries.items()):
            changed += (
                Product.objects.filter(pk=product_id, code__startswith="DEMO-")
                .exclude(rating_count=count, rating_sum=stars)
                .update(rating_count=count, rating_sum=stars)
            )
    return changed
