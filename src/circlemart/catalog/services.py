"""Catalog writes: categories, brands, products with SKUs and stock, images, prices, status."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from circlemart.catalog import errors
from circlemart.catalog.contracts import LISTING_GENERATION, TREE_GENERATION, product_generation
from circlemart.catalog.events import CategoryTreeChanged, ProductChanged
from circlemart.catalog.models import (
    PATH_STEP,
    Brand,
    Category,
    Product,
    ProductImage,
    Sku,
    Tag,
    canonical_options,
)
from circlemart.core import cache as cache_generations
from circlemart.core.errors import Conflict, NotFound, ValidationFailed
from circlemart.core.events import publish
from circlemart.core.text import clean_plain_text
from circlemart.inventory import selectors as inventory_selectors
from circlemart.inventory import services as inventory

DESCRIPTION_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
    "img",
    "a",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "figcaption",
}
DESCRIPTION_ATTRIBUTES = {"img": {"src", "alt", "width", "height"}, "a": {"href", "title"}}
IMAGE_MAX_SIDE = 1200
THUMBNAIL_SIDE = 400
IMAGE_MAX_BYTES = 8 * 1024 * 1024


def _announce(product_id: int, change: str) -> None:
    """Tell other contexts (outbox); drop cached pages showing the product (same transaction)."""
    publish(ProductChanged(product_id=product_id, change=change))
    cache_generations.bump(product_generation(product_id), LISTING_GENERATION)


def _announce_tree(category_id: int) -> None:
    publish(CategoryTreeChanged(category_id=category_id))
    cache_generations.bump(TREE_GENERATION, LISTING_GENERATION)


def sanitize_description(html: str) -> str:
    """Rich product descriptions keep formatting and images; scripts, styles, handlers go."""
    return nh3.clean(
        html or "",
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# --- Categories ------------------------------------------------------------------------------


def _next_child_path(parent: Category | None) -> str:
    prefix = parent.path if parent else ""
    siblings = Category.objects.filter(parent=parent).aggregate(last=Max("path"))["last"]
    number = int(siblings[-PATH_STEP:]) + 1 if siblings else 1
    if number >= 10**PATH_STEP:
        raise Conflict(_("Too many subcategories."), code="category_full", field="parent")
    return f"{prefix}{number:0{PATH_STEP}d}"


def category_create(
    *,
    name: str,
    slug: str,
    name_en: str = "",
    parent_id: int | None = None,
    position: int = 0,
    icon: str = "",
) -> Category:
    clean_name = clean_plain_text(name, field="name", min_length=1, max_length=60)
    parent = None
    if parent_id is not None:
        parent = Category.objects.filter(pk=parent_id).first()
        if parent is None:
            raise NotFound(_("Parent category not found."), field="parent")
    if Category.objects.filter(slug=slug).exists():
        raise Conflict(_("This slug is already used."), code=errors.SLUG_TAKEN, field="slug")
    for _attempt in range(3):  # a sibling created at the same moment takes our path: retry
        try:
            with transaction.atomic():
                category = Category.objects.create(
                    parent=parent,
                    name=clean_name,
                    name_en=name_en.strip(),
                    slug=slug,
                    path=_next_child_path(parent),
                    depth=parent.depth + 1 if parent else 0,
                    position=position,
                    icon=icon,
                )
                _announce_tree(category.pk)
                return category
        except IntegrityError:
            if Category.objects.filter(slug=slug).exists():
                raise Conflict(
                    _("This slug is already used."), code=errors.SLUG_TAKEN, field="slug"
                ) from None
    raise Conflict(_("Please try again."), code="busy")


def category_move(*, category_id: int, parent_id: int | None) -> Category:
    """Re-hang a subtree; every descendant's path is rewritten in one UPDATE."""
    with transaction.atomic():
        category = Category.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            raise NotFound(_("Category not found."), field="category")
        parent = None
        if parent_id is not None:
            parent = Category.objects.filter(pk=parent_id).first()
            if parent is None:
                raise NotFound(_("Parent category not found."), field="parent")
            if parent.path.startswith(category.path):
                raise ValidationFailed(
                    _("A category cannot move under itself."),
                    code=errors.CATEGORY_CYCLE,
                    field="parent",
                )
        old_path, old_depth = category.path, category.depth
        new_path = _next_child_path(parent)
        depth_shift = (parent.depth + 1 if parent else 0) - old_depth
        Category.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + depth_shift,
        )
        Category.objects.filter(pk=category.pk).update(parent=parent)
        _announce_tree(category.pk)
    category.refresh_from_db()
    return category


def brand_create(*, name: str, slug: str, name_en: str = "", description: str = "") -> Brand:
    clean_name = clean_plain_text(name, field="name", min_length=1, max_length=80)
    try:
        with transaction.atomic():
            return Brand.objects.create(
                name=clean_name, name_en=name_en.strip(), slug=slug, description=description
            )
    except IntegrityError as exc:
        raise Conflict(
            _("A brand with this name or slug exists."), code=errors.SLUG_TAKEN, field="slug"
        ) from exc


def tags_ensure(names: list[str]) -> list[Tag]:
    from django.utils.text import slugify

    tags = []
    for raw in names:
        name = clean_plain_text(raw, field="tags", max_length=40, name_like=True)
        if not name:
            continue
        slug = slugify(name, allow_unicode=True)[:60] or uuid.uuid4().hex[:12]
        # "Hot" and "hot" share a slug: the tag that owns the slug is the same tag.
        tag = Tag.objects.filter(name=name).first() or Tag.objects.filter(slug=slug).first()
        if tag is None:
            tag, _ = Tag.objects.get_or_create(name=name, defaults={"slug": slug})
        if tag not in tags:
            tags.append(tag)
    return tags


# --- Products and SKUs -----------------------------------------------------------------------


@dataclass(frozen=True)
class SkuInput:
    code: str
    price: int
    options: dict[str, str] = field(default_factory=dict)
    original_price: int | None = None
    stock: int = 0
    max_per_order: int = 99


@dataclass(frozen=True)
class ProductInput:
    code: str
    title: str
    category_id: int
    skus: list[SkuInput]
    title_en: str = ""
    subtitle: str = ""
    brand_id: int | None = None
    description_html: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = Product.Status.DRAFT
    currency: str = "CNY"


def options_key(options: dict[str, str]) -> str:
    return canonical_options(options)


def _check_sku(sku: SkuInput, index: int) -> None:
    field_name = f"skus[{index}]"
    if isinstance(sku.price, bool) or not isinstance(sku.price, int) or sku.price <= 0:
        raise ValidationFailed(
            _("Price must be a positive amount in minor units (fen)."),
            code=errors.INVALID_PRICE,
            field=f"{field_name}.price",
        )
    if sku.original_price is not None and sku.original_price < sku.price:
        raise ValidationFailed(
            _("The original price cannot be below the price."),
            code=errors.INVALID_PRICE,
            field=f"{field_name}.original_price",
        )
    if sku.stock < 0:
        raise ValidationFailed(
            _("Stock cannot be negative."), code="negative_stock", field=f"{field_name}.stock"
        )
    if not sku.code.strip():
        raise ValidationFailed(
            _("This field is required."), code="required", field=f"{field_name}.code"
        )


def _check_product(data: ProductInput) -> None:
    clean_plain_text(data.title, field="title", min_length=1, max_length=120)
    clean_plain_text(data.title_en, field="title_en", max_length=160)
    clean_plain_text(data.subtitle, field="subtitle", max_length=200)
    clean_plain_text(data.code, field="code", min_length=1, max_length=40)
    for index, sku in enumerate(data.skus):
        clean_plain_text(sku.code, field=f"skus[{index}].code", min_length=1, max_length=60)
    if not data.skus:
        raise ValidationFailed(
            _("A product needs at least one SKU."), code=errors.NO_SKUS, field="skus"
        )
    if data.status not in Product.Status.values:
        raise ValidationFailed(_("Choose a valid option."), field="status")
    if not Category.objects.filter(pk=data.category_id).exists():
        raise NotFound(_("Category not found."), field="category")
    if data.brand_id is not None and not Brand.objects.filter(pk=data.brand_id).exists():
        raise NotFound(_("Brand not found."), field="brand")
    keys: set[str] = set()
    for index, sku in enumerate(data.skus):
        _check_sku(sku, index)
        _remember_options(keys, sku.options, index)


def _remember_options(keys: set[str], options: dict[str, str], index: int) -> None:
    """Adds this SKU's options to `keys`, refusing a second SKU with the same options."""
    key = options_key(options)
    if key in keys:
        raise ValidationFailed(
            _("Two SKUs have the same options."),
            code=errors.DUPLICATE_OPTIONS,
            field=f"skus[{index}].options",
        )
    keys.add(key)


def product_refresh_prices(product_id: int) -> None:
    prices = Sku.objects.filter(product_id=product_id, is_active=True).aggregate(
        low=Min("price"), high=Max("price")
    )
    Product.objects.filter(pk=product_id).update(
        price_min=prices["low"] or 0, price_max=prices["high"] or 0
    )


def product_create(*, data: ProductInput) -> Product:
    """Product, SKUs, stock rows and tags in one transaction, announced as ProductChanged."""
    _check_product(data)
    try:
        with transaction.atomic():
            product = Product.objects.create(
                code=data.code.strip(),
                title=data.title.strip(),
                title_en=data.title_en.strip(),
                subtitle=data.subtitle.strip(),
                category_id=data.category_id,
                brand_id=data.brand_id,
                description_html=sanitize_description(data.description_html),
                status=data.status,
                currency=data.currency,
                published_at=timezone.now() if data.status == Product.Status.ON_SALE else None,
            )
            skus = Sku.objects.bulk_create(
                [
                    Sku(
                        product=product,
                        code=sku.code.strip(),
                        options=sku.options,
                        options_key=options_key(sku.options),
                        price=sku.price,
                        original_price=sku.original_price,
                        max_per_order=sku.max_per_order,
                        position=position,
                    )
                    for position, sku in enumerate(data.skus)
                ]
            )
            inventory.stock_create_many(
                {row.pk: sku.stock for row, sku in zip(skus, data.skus, strict=True)}
            )
            product.tags.set(tags_ensure(data.tags))
            product_refresh_prices(product.pk)
            _announce(product.pk, "created")
    except IntegrityError as exc:
        raise Conflict(
            _("A product or SKU with this code already exists."),
            code=errors.CODE_TAKEN,
            field="code",
        ) from exc
    product.refresh_from_db()
    return product


EDITABLE_FIELDS = ("title", "title_en", "subtitle", "brand_id", "category_id", "description_html")


def product_update(*, product_id: int, **changes: object) -> Product:
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"tags"}
    if unknown:
        raise ValidationFailed(_("Unknown field."), field=sorted(unknown)[0])
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound(_("Product not found."), field="product")
        for name, value in changes.items():
            if name == "tags":
                continue
            if name == "title":
                value = clean_plain_text(str(value), field="title", min_length=1, max_length=120)
            if name == "description_html":
                value = sanitize_description(str(value))
            setattr(product, name, value)
        product.save()
        if "tags" in changes:
            product.tags.set(tags_ensure(list(changes["tags"])))  # type: ignore[call-overload]
        _announce(product.pk, "updated")
    return product


def product_set_status(*, product_id: int, status: str) -> Product:
    if status not in Product.Status.values:
        raise ValidationFailed(_("Choose a valid option."), field="status")
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound(_("Product not found."), field="product")
        product.status = status
        if status == Product.Status.ON_SALE and product.published_at is None:
            product.published_at = timezone.now()
        product.save(update_fields=["status", "published_at", "updated_at"])
        _announce(product.pk, "status")
    return product


def sku_set_price(*, sku_id: int, price: int, original_price: int | None = None) -> Sku:
    _check_sku(SkuInput(code="-", price=price, original_price=original_price), 0)
    with transaction.atomic():
        sku = Sku.objects.select_for_update().filter(pk=sku_id).first()
        if sku is None:
            raise NotFound(_("SKU not found."), field="sku")
        sku.price, sku.original_price = price, original_price
        sku.save(update_fields=["price", "original_price"])
        product_refresh_prices(sku.product_id)
        Product.objects.filter(pk=sku.product_id).update(updated_at=timezone.now())
        _announce(sku.product_id, "price")
    return sku


@dataclass(frozen=True)
class SkuUpsertResult:
    created: int
    updated: int


def sku_upsert_many(*, product_id: int, skus: list[SkuInput]) -> SkuUpsertResult:
    """Imports: add the SKUs a product lacks and reprice those it has, matched by code.

    An existing SKU gets the new price, original price and purchase limit; its options never
    change (orders name them) and its stock is counted through `inventory.stock_set`, so
    `stock` is used for new SKUs only. SKUs not listed are left alone. One ProductChanged.
    """
    for index, sku in enumerate(skus):
        _check_sku(sku, index)
        if sku.max_per_order < 1:
            raise ValidationFailed(
                _("The purchase limit must be at least 1."),
                field=f"skus[{index}].max_per_order",
            )
    codes = [sku.code.strip() for sku in skus]
    if len(set(codes)) != len(codes):
        raise ValidationFailed(_("Two SKUs have the same code."), code=errors.CODE_TAKEN)
    with transaction.atomic():
        if not Product.objects.select_for_update().filter(pk=product_id).exists():
            raise NotFound(_("Product not found."), field="product")
        existing = {sku.code: sku for sku in Sku.objects.select_for_update().filter(code__in=codes)}
        owners = dict(Sku.objects.filter(product_id=product_id).values_list("options_key", "code"))
        last = Sku.objects.filter(product_id=product_id).aggregate(last=Max("position"))["last"]
        position = -1 if last is None else last
        fresh: list[tuple[Sku, int]] = []
        updated = 0
        for index, (code, data) in enumerate(zip(codes, skus, strict=True)):
            key = options_key(data.options)
            current = existing.get(code)
            if current is None:
                if key in owners:
                    raise ValidationFailed(
                        _("Two SKUs have the same options."),
                        code=errors.DUPLICATE_OPTIONS,
                        field=f"skus[{index}].options",
                    )
                owners[key] = code
                position += 1
                row = Sku(
                    product_id=product_id,
                    code=code,
                    options=data.options,
                    options_key=key,
                    price=data.price,
                    original_price=data.original_price,
                    max_per_order=data.max_per_order,
                    position=position,
                )
                fresh.append((row, data.stock))
                continue
            if current.product_id != product_id:
                raise Conflict(
                    _("This SKU code belongs to another product."),
                    code=errors.CODE_TAKEN,
                    field=f"skus[{index}].code",
                )
            if current.options_key != key:
                raise ValidationFailed(
                    _("A SKU's options cannot change; add a new SKU instead."),
                    field=f"skus[{index}].options",
                )
            wanted = (data.price, data.original_price, data.max_per_order)
            if (current.price, current.original_price, current.max_per_order) != wanted:
                current.price, current.original_price, current.max_per_order = wanted
                current.save(update_fields=["price", "original_price", "max_per_order"])
                updated += 1
        try:
            with transaction.atomic():
                created = Sku.objects.bulk_create([row for row, _stock in fresh])
        except IntegrityError as exc:  # a SKU with this code appeared since we looked
            raise Conflict(
                _("A product or SKU with this code already exists."),
                code=errors.CODE_TAKEN,
                field="code",
            ) from exc
        inventory.stock_create_many(
            {row.pk: stock for row, (_row, stock) in zip(created, fresh, strict=True)}
        )
        if created or updated:
            product_refresh_prices(product_id)
            Product.objects.filter(pk=product_id).update(updated_at=timezone.now())
            _announce(product_id, "updated" if created else "price")
    return SkuUpsertResult(created=len(created), updated=updated)


@dataclass(frozen=True)
class SkuMatrixResult:
    created: int
    updated: int
    deactivated: int


def product_sku_matrix_apply(*, product_id: int, skus: list[SkuInput]) -> SkuMatrixResult:
    """The back office's SKU matrix: one row per option combination (e.g. 颜色 × 尺码).

    Rows are matched to the product's SKUs by their options, so a regenerated matrix keeps the
    SKU ids (orders and carts name them): a matched SKU gets the row's code, prices, purchase
    limit and stock (through inventory) and is active again; a new combination becomes a new
    SKU; a SKU whose combination left the matrix is deactivated, never deleted. One
    ProductChanged.
    """
    if not skus:
        raise ValidationFailed(
            _("A product needs at least one SKU."), code=errors.NO_SKUS, field="skus"
        )
    keys: set[str] = set()
    codes: set[str] = set()
    for index, sku in enumerate(skus):
        _check_sku(sku, index)
        clean_plain_text(sku.code, field=f"skus[{index}].code", min_length=1, max_length=60)
        if sku.max_per_order < 1:
            raise ValidationFailed(
                _("The purchase limit must be at least 1."),
                field=f"skus[{index}].max_per_order",
            )
        _remember_options(keys, sku.options, index)
        if sku.code.strip() in codes:
            raise ValidationFailed(
                _("Two SKUs have the same code."), code=errors.CODE_TAKEN, field="code"
            )
        codes.add(sku.code.strip())
    with transaction.atomic():
        if not Product.objects.select_for_update().filter(pk=product_id).exists():
            raise NotFound(_("Product not found."), field="product")
        current: dict[str, Sku] = {
            existing.options_key or options_key(existing.options or {}): existing
            for existing in Sku.objects.select_for_update().filter(product_id=product_id)
        }
        taken = set(
            Sku.objects.filter(code__in=codes)
            .exclude(product_id=product_id)
            .values_list("code", flat=True)
        )
        if taken:
            raise Conflict(
                _("This SKU code belongs to another product."),
                code=errors.CODE_TAKEN,
                field="code",
            )
        # Codes may move between this product's rows: park the ones that change first, as the
        # code column is unique.
        wanted_codes = {options_key(row.options): row.code.strip() for row in skus}
        for key, existing in current.items():
            wanted = wanted_codes.get(key)
            if (wanted is not None and wanted != existing.code) or (
                wanted is None and existing.code in codes
            ):
                parked = f"~{existing.pk}~{uuid.uuid4().hex[:8]}"
                Sku.objects.filter(pk=existing.pk).update(code=parked)
        created = updated = 0
        fresh: list[tuple[Sku, int]] = []
        stock_changes: list[tuple[int, int]] = []
        for position, row in enumerate(skus):
            key = options_key(row.options)
            matched = current.pop(key, None)
            if matched is None:
                fresh.append(
                    (
                        Sku(
                            product_id=product_id,
                            code=row.code.strip(),
                            options=row.options,
                            options_key=key,
                            price=row.price,
                            original_price=row.original_price,
                            max_per_order=row.max_per_order,
                            position=position,
                        ),
                        row.stock,
                    )
                )
                continue
            Sku.objects.filter(pk=matched.pk).update(
                code=row.code.strip(),
                options_key=key,
                price=row.price,
                original_price=row.original_price,
                max_per_order=row.max_per_order,
                position=position,
                is_active=True,
            )
            stock_changes.append((matched.pk, row.stock))
            updated += 1
        deactivated = Sku.objects.filter(
            pk__in=[left_out.pk for left_out in current.values()], is_active=True
        ).update(is_active=False)
        made = Sku.objects.bulk_create([row for row, _stock in fresh])
        created = len(made)
        inventory.stock_create_many(
            {row.pk: stock for row, (_row, stock) in zip(made, fresh, strict=True)}
        )
        counted = inventory_selectors.available_by_sku([sku_id for sku_id, _n in stock_changes])
        for sku_id, on_hand in stock_changes:
            if inventory_selectors.stock_of(sku_id)[0] != on_hand or sku_id not in counted:
                inventory.stock_set(sku_id=sku_id, on_hand=on_hand)
        product_refresh_prices(product_id)
        Product.objects.filter(pk=product_id).update(updated_at=timezone.now())
        _announce(product_id, "updated")
    return SkuMatrixResult(created=created, updated=updated, deactivated=deactivated)


def product_after_admin_save(product_id: int) -> None:
    """The back office edits rows directly; this restores derived fields and tells others."""
    with transaction.atomic():
        for sku in Sku.objects.filter(product_id=product_id):
            key = options_key(sku.options or {})
            if sku.options_key != key:
                Sku.objects.filter(pk=sku.pk).update(options_key=key)
        product = Product.objects.get(pk=product_id)
        clean = sanitize_description(product.description_html)
        if clean != product.description_html or (
            product.status == Product.Status.ON_SALE and product.published_at is None
        ):
            Product.objects.filter(pk=product_id).update(
                description_html=clean, published_at=product.published_at or timezone.now()
            )
        product_refresh_prices(product_id)
        _announce(product_id, "updated")


# --- Images ----------------------------------------------------------------------------------


def _webp(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    copy.save(buffer, format="WEBP", quality=82)
    return buffer.getvalue(), copy.width, copy.height


def product_image_add(
    *, product_id: int, upload: UploadedFile[bytes] | io.BytesIO, alt: str = ""
) -> ProductImage:
    """Store a re-encoded image (≤1200 px) and its 400 px thumbnail; the first becomes the cover."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found."), field="product")
    size = upload.size if hasattr(upload, "size") else len(upload.getvalue())
    if size is None or size > IMAGE_MAX_BYTES:
        raise ValidationFailed(
            _("The image is too large."), code=errors.IMAGE_INVALID, field="image"
        )
    try:
        with Image.open(upload) as probe:
            if probe.format not in {"JPEG", "PNG", "WEBP", "GIF"}:
                raise ValidationFailed(
                    _("Upload a JPEG, PNG, WebP or GIF image."),
                    code=errors.IMAGE_INVALID,
                    field="image",
                )
            probe.load()
            picture = ImageOps.exif_transpose(probe).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(
            _("Upload a JPEG, PNG, WebP or GIF image."), code=errors.IMAGE_INVALID, field="image"
        ) from exc
    full, width, height = _webp(picture, IMAGE_MAX_SIDE)
    thumb, _w, _h = _webp(picture, THUMBNAIL_SIDE)
    name = uuid.uuid4().hex
    with transaction.atomic():
        image = ProductImage(
            product=product,
            alt=clean_plain_text(alt, field="alt", max_length=160),
            position=ProductImage.objects.filter(product=product).count(),
            width=width,
            height=height,
        )
        image.image.save(f"{name}.webp", ContentFile(full), save=False)
        image.thumbnail.save(f"{name}-400.webp", ContentFile(thumb), save=False)
        image.save()
        if not product.cover:
            Product.objects.filter(pk=product.pk).update(cover=image.thumbnail.url)
        _announce(product.pk, "media")
    return image


def category_touch(*, category_id: int) -> None:
    """A category was renamed or hidden: tell the caches and the index."""
    with transaction.atomic():
        _announce_tree(category_id)


def product_rating_record(*, product_id: int, stars_delta: int, count_delta: int) -> None:
    """Add (or with negative deltas remove) ratings to a product's summary: one conditional
    UPDATE, so concurrent reviews never lose a rating. Called by reviews in its transaction."""
    with transaction.atomic():
        changed = Product.objects.filter(
            pk=product_id, rating_count__gte=-count_delta, rating_sum__gte=-stars_delta
        ).update(
            rating_count=F("rating_count") + count_delta, rating_sum=F("rating_sum") + stars_delta
        )
        if not changed:
            raise NotFound(_("Product not found."), code="unknown_product", field="product")
        _announce(product_id, "rating")


def product_sales_record(*, quantities: dict[int, int]) -> None:
    """Count units sold (or, negative, refunded) per product: one conditional UPDATE each."""
    with transaction.atomic():
        for product_id, quantity in sorted(quantities.items()):
            Product.objects.filter(pk=product_id, sales_count__gte=-quantity).update(
                sales_count=F("sales_count") + quantity
            )


# --- Historical imports ----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoricalProductInput:
    """A product of another system's history: one SKU with the same code, at one price."""

    code: str
    title: str
    price: int  # minor units
    created_at: datetime  # when it was first sold


@dataclass(frozen=True)
class ImportedProducts:
    category_id: int
    # product code → (product id, SKU id)
    ids: dict[str, tuple[int, int]]


def products_import_historical(
    *,
    category_slug: str,
    category_name: str,
    products: list[HistoricalProductInput],
    currency: str,
) -> ImportedProducts:
    """Products of a data-set import, in bulk and in one transaction: one category (created
    when missing), each product off the shelf (history, not for sale now) with one SKU of the
    same code, no stock, `created_at` when it was first sold. Products whose code exists are
    kept as they are, so a rerun adds nothing. No ProductChanged per product (thousands of
    search re-indexings for goods nobody can buy); the listing caches are bumped once."""
    for index, item in enumerate(products):
        clean_plain_text(item.code, field=f"products[{index}].code", min_length=1, max_length=40)
        clean_plain_text(item.title, field=f"products[{index}].title", min_length=1, max_length=120)
        if isinstance(item.price, bool) or not isinstance(item.price, int) or item.price <= 0:
            raise ValidationFailed(
                _("Price must be a positive amount in minor units (fen)."),
                code=errors.INVALID_PRICE,
                field=f"products[{index}].price",
            )
        if item.created_at.tzinfo is None:
            raise ValidationFailed(
                _("The time must carry a time zone."),
                code="naive_time",
                field=f"products[{index}].created_at",
            )
    codes = [item.code.strip() for item in products]
    with transaction.atomic():
        category = Category.objects.filter(slug=category_slug).first()
        if category is None:
            category = category_create(
                name=category_name, slug=category_slug, name_en=category_name
            )
        existing = _product_ids(codes)
        new = [item for item in products if item.code.strip() not in existing]
        Product.objects.bulk_create(
            [
                Product(
                    code=item.code.strip(),
                    title=item.title.strip(),
                    title_en=item.title.strip(),
                    category=category,
                    status=Product.Status.OFF_SHELF,
                    currency=currency,
                    price_min=item.price,
                    price_max=item.price,
                )
                for item in new
            ],
            batch_size=500,
        )
        product_ids = _product_ids(codes)
        Sku.objects.bulk_create(
            [
                Sku(
                    product_id=product_ids[item.code.strip()],
                    code=item.code.strip(),
                    options={},
                    options_key="",
                    price=item.price,
                )
                for item in new
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        sku_ids: dict[str, int] = {}
        for start in range(0, len(codes), 1000):
            sku_ids.update(
                Sku.objects.filter(code__in=codes[start : start + 1000]).values_list("code", "id")
            )
        inventory.stock_create_many({sku_ids[item.code.strip()]: 0 for item in new})
        # created_at is auto_now_add: the history's dates go in afterwards.
        for item in new:
            Product.objects.filter(pk=product_ids[item.code.strip()]).update(
                created_at=item.created_at, published_at=item.created_at
            )
        if new:
            _announce_tree(category.pk)
    return ImportedProducts(
        category_id=category.pk,
        ids={code: (product_ids[code], sku_ids[code]) for code in codes},
    )


def _product_ids(codes: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(codes), 1000):
        found.update(
            Product.objects.filter(code__in=codes[start : start + 1000]).values_list("code", "id")
        )
    return found
