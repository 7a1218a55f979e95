"""Categories (a materialised-path tree), brands, tags, products, SKUs and product images."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

PATH_STEP = 4  # "0001" per level: 9,999 children per parent, subtree = path prefix


class Category(models.Model):
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True, default="")
    slug = models.SlugField(max_length=80, unique=True)
    # Materialised path ("0003" + "0012" + …): a subtree is one indexed prefix scan.
    path = models.CharField(max_length=64, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    icon = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent")
        ]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True, default="")
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True, default="")

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ON_SALE = "on_sale", _("On sale")
        OFF_SHELF = "off_shelf", _("Off shelf")

    code = models.CharField(_("product code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=120)
    title_en = models.CharField(_("English title"), max_length=160, blank=True, default="")
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True, default="")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    brand = models.ForeignKey(
        Brand,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("brand"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="products", verbose_name=_("tags"))
    description_html = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Denormalised from the active SKUs by catalog services, for listing and sorting.
    price_min = models.BigIntegerField(default=0)
    price_max = models.BigIntegerField(default=0)
    sales_count = models.PositiveIntegerField(_("sales"), default=0)
    rating_count = models.PositiveIntegerField(_("ratings"), default=0)
    rating_sum = models.PositiveIntegerField(_("sum of stars"), default=0)  # of 1–5 star ratings
    cover = models.CharField(_("cover"), max_length=300, blank=True, default="")  # thumbnail path
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["status", "category"], name="product_by_category"),
            models.Index(fields=["status", "-sales_count", "-id"], name="product_by_sales"),
            models.Index(fields=["status", "price_min", "id"], name="product_by_price"),
            models.Index(fields=["status", "-published_at", "-id"], name="product_newest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price_min__gte=0), name="product_price_min_ok"),
            models.CheckConstraint(
                condition=Q(price_max__gte=F("price_min")), name="product_price_range_ok"
            ),
            models.CheckConstraint(
                condition=Q(rating_sum__lte=F("rating_count") * 5), name="product_rating_ok"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rating_average(self) -> float:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else 0.0


def canonical_options(options: dict[str, str]) -> str:
    """Stable text form of a SKU's options, e.g. "尺码=M|颜色=黑色" (sorted by name)."""
    return "|".join(f"{name}={value}" for name, value in sorted((options or {}).items()))


class Sku(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=60, unique=True)
    # {"颜色": "黑色", "容量": "256GB"}; options_key is the canonical form for uniqueness.
    options = models.JSONField(default=dict, blank=True)
    options_key = models.CharField(max_length=300, default="", blank=True)
    price = models.BigIntegerField(_("price"))
    original_price = models.BigIntegerField(_("original price"), null=True, blank=True)
    max_per_order = models.PositiveIntegerField(_("purchase limit"), default=99)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        ordering = ["product_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "options_key"], name="sku_options_once"),
            models.CheckConstraint(condition=Q(price__gt=0), name="sku_price_positive"),
            models.CheckConstraint(
                condition=Q(original_price__isnull=True) | Q(original_price__gte=F("price")),
                name="sku_original_not_below_price",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The uniqueness of a product's option combinations rests on this derived column.
        self.options_key = canonical_options(self.options)
        super().save(*args, **kwargs)


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to=product_image_path)
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    alt = models.CharField(_("alt text"), max_length=160, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt or str(self.image.name)
