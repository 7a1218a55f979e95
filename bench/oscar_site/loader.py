"""Load the generated benchmark catalog into Oscar through Oscar's own models.

    python -m oscar_site.loader CATALOG_JSON IMAGES_DIR OUT_JSON   (DJANGO_SETTINGS_MODULE set)

Categories go through treebeard (`add_root`/`add_child`); products, variants, stock records,
attribute values, category links and images are bulk-inserted in batches. A product with one
variant becomes a stand-alone product; one with several becomes a parent with child products,
the way Oscar models variants. OUT_JSON receives the ids the benchmark needs for its URLs.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import django

django.setup()

import oscar  # noqa: E402
from django.conf import settings  # noqa: E402  (needs django.setup())
from django.db import transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402
from oscar.core.loading import get_model  # noqa: E402

from catalog_vs_oscar import Catalog, ProductSpec  # noqa: E402

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductAttribute = get_model("catalogue", "ProductAttribute")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")

BATCH_SIZE = 500
IMAGE_FOLDER = "images/products/bench"


def _money(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def load_categories(catalog: Catalog) -> dict[str, Any]:
    by_slug: dict[str, Any] = {}
    for spec in catalog.categories:
        fields = {"name": spec.name, "slug": spec.slug, "description": spec.name_en}
        if spec.parent is None:
            by_slug[spec.slug] = Category.add_root(**fields)
        else:
            by_slug[spec.slug] = by_slug[spec.parent].add_child(**fields)
    return by_slug


def load_product_classes(catalog: Catalog) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """One product class per root category, its two variant dimensions as text attributes."""
    classes: dict[str, Any] = {}
    attributes: dict[tuple[str, str], Any] = {}
    names = {spec.slug: spec.name for spec in catalog.categories if spec.parent is None}
    for root, dimensions in catalog.option_names.items():
        product_class = ProductClass.objects.create(
            name=names[root], slug=root, requires_shipping=True, track_stock=True
        )
        classes[root] = product_class
        for number, dimension in enumerate(dimensions, start=1):
            attributes[(root, dimension)] = ProductAttribute.objects.create(
                product_class=product_class,
                name=dimension,
                code=f"option_{number}",
                type=ProductAttribute.TEXT,
            )
    return classes, attributes


@transaction.atomic
def load_batch(
    specs: list[ProductSpec],
    *,
    categories: dict[str, Any],
    classes: dict[str, Any],
    attributes: dict[tuple[str, str], Any],
    partner: Any,
) -> list[Any]:
    canonical = Product.objects.bulk_create(
        [
            Product(
                structure=Product.STANDALONE if len(spec.variants) == 1 else Product.PARENT,
                upc=spec.code,
                title=spec.title,
                slug=slugify(spec.title_en),
                description=spec.description_html,
                product_class=classes[spec.root],
                rating=(spec.rating_sum / spec.rating_count) if spec.rating_count else None,
                is_public=True,
            )
            for spec in specs
        ]
    )
    # Stock records and attribute values belong to the stand-alone product or to each child.
    sellable: list[tuple[Any, Any, Any]] = []  # (product, variant, root)
    children: list[Any] = []
    child_variants: list[tuple[Any, str]] = []
    for product, spec in zip(canonical, specs, strict=True):
        if len(spec.variants) == 1:
            sellable.append((product, spec.variants[0], spec.root))
            continue
        for variant in spec.variants:
            children.append(
                Product(
                    structure=Product.CHILD,
                    parent=product,
                    upc=variant.code,
                    title="",
                    slug=product.slug,
                    is_public=True,
                )
            )
            child_variants.append((variant, spec.root))
    created_children = Product.objects.bulk_create(children)
    sellable += [
        (child, variant, root)
        for child, (variant, root) in zip(created_children, child_variants, strict=True)
    ]
    StockRecord.objects.bulk_create(
        [
            StockRecord(
                product=product,
                partner=partner,
                partner_sku=variant.code,
                price_currency=settings.OSCAR_DEFAULT_CURRENCY,
                price=_money(variant.price),
                num_in_stock=variant.stock,
            )
            for product, variant, _root in sellable
        ]
    )
    ProductAttributeValue.objects.bulk_create(
        [
            ProductAttributeValue(
                attribute=attributes[(root, dimension)], product=product, value_text=value
            )
            for product, variant, root in sellable
            for dimension, value in variant.options.items()
        ]
    )
    ProductCategory.objects.bulk_create(
        [
            ProductCategory(product=product, category=categories[spec.category])
            for product, spec in zip(canonical, specs, strict=True)
        ]
    )
    ProductImage.objects.bulk_create(
        [
            ProductImage(
                product=product,
                original=f"{IMAGE_FOLDER}/{spec.root}-{spec.image}.webp",
                caption=spec.title,
                display_order=0,
            )
            for product, spec in zip(canonical, specs, strict=True)
        ]
    )
    return canonical


def main(catalog_path: Path, images_dir: Path, out_path: Path) -> None:
    started = time.monotonic()
    catalog = Catalog.from_json(catalog_path.read_text())
    media = Path(settings.MEDIA_ROOT)
    (media / IMAGE_FOLDER).mkdir(parents=True, exist_ok=True)
    for image in images_dir.glob("*-800.webp"):
        shutil.copyfile(image, media / IMAGE_FOLDER / image.name.replace("-800", ""))
    # Oscar's set-up instructions: its placeholder must sit in MEDIA_ROOT for the thumbnailer.
    placeholder = Path(oscar.__file__).parent / "static" / "oscar" / "img" / "image_not_found.jpg"
    shutil.copyfile(placeholder, media / settings.OSCAR_MISSING_IMAGE_URL)

    with transaction.atomic():
        categories = load_categories(catalog)
        classes, attributes = load_product_classes(catalog)
        partner = Partner.objects.create(name="Bench partner", code="bench")
    print(f"oscar: {len(categories)} categories, {len(classes)} product classes", flush=True)

    product_ids: dict[str, list[Any]] = {}
    total = len(catalog.products)
    for start in range(0, total, BATCH_SIZE):
        specs = catalog.products[start : start + BATCH_SIZE]
        for product in load_batch(
            specs, categories=categories, classes=classes, attributes=attributes, partner=partner
        ):
            product_ids[product.upc] = [product.pk, product.slug]
        done = start + len(specs)
        print(f"oscar: products {done:>6,}/{total:,}", flush=True)

    out_path.write_text(
        json.dumps(
            {
                "categories": {
                    slug: category.get_absolute_url() for slug, category in categories.items()
                },
                "products": product_ids,
            },
            ensure_ascii=False,
        )
    )
    print(f"oscar: loaded in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
