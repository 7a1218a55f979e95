"""Back office for merchant staff: categories, brands, tags, products with SKUs and images.

The admin edits catalog rows directly (same app), then hands over to the services so derived
fields (paths, price ranges, thumbnails) stay right and ProductChanged reaches the search index
and caches.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django_prose_editor.widgets import AdminProseEditorWidget
from unfold.admin import ModelAdmin, TabularInline

from circlemart.catalog import services
from circlemart.catalog.admin_sku_matrix import (
    DESCRIPTION_EDITOR,
    SkuMatrixField,
    sku_matrix_initial,
)
from circlemart.catalog.models import Brand, Category, Product, ProductImage, Sku, Tag
from circlemart.core.admin_widgets import (
    MoneyAdminMixin,
    currency_of,
    format_money,
    money_display,
    options_text,
)
from circlemart.core.errors import DomainError
from circlemart.inventory import selectors as inventory_selectors


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ("indented_name", "name_en", "slug", "depth", "position", "is_active")
    list_filter = ("depth", "is_active")
    search_fields = ("name", "name_en", "slug")
    ordering = ("path",)
    fields = ("name", "name_en", "slug", "parent", "position", "icon", "is_active")
    autocomplete_fields = ("parent",)

    @admin.display(description=_("name"))
    def indented_name(self, category: Category) -> str:
        return format_html("{}{}", "— " * category.depth, category.name)

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        if not change:
            created = services.category_create(
                name=obj.name,
                name_en=obj.name_en,
                slug=obj.slug,
                parent_id=obj.parent_id,
                position=obj.position,
                icon=obj.icon,
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            return
        moved = "parent" in form.changed_data
        parent_id = obj.parent_id
        Category.objects.filter(pk=obj.pk).update(
            name=obj.name,
            name_en=obj.name_en,
            slug=obj.slug,
            position=obj.position,
            icon=obj.icon,
            is_active=obj.is_active,
        )
        if moved:
            services.category_move(category_id=obj.pk, parent_id=parent_id)
        else:
            services.category_touch(category_id=obj.pk)


@admin.register(Brand)
class BrandAdmin(ModelAdmin):
    list_display = ("name", "name_en", "slug")
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)


class SkuInline(MoneyAdminMixin, TabularInline):
    """The product's SKUs as they are (read only): the matrix above edits them."""

    model = Sku
    extra = 0
    can_delete = False
    hide_title = True
    fields = (
        "code",
        "options_shown",
        "price_shown",
        "original_price_shown",
        "is_active",
        "available",
    )
    readonly_fields = fields
    verbose_name = _("SKU")
    verbose_name_plural = _("SKUs (edit them in the SKU matrix above)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("options"))
    def options_shown(self, sku: Sku) -> str:
        return options_text(sku.options)

    price_shown = money_display("price", _("price"))
    original_price_shown = money_display("original_price", _("original price"))

    @admin.display(description=_("available"))
    def available(self, sku: Sku) -> int:
        return inventory_selectors.available_by_sku([sku.pk]).get(sku.pk, 0) if sku.pk else 0


class ProductImageInline(TabularInline):
    model = ProductImage
    extra = 0
    fields = ("preview", "alt", "position")
    readonly_fields = ("preview",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # new images go through the upload field, which makes thumbnails

    @admin.display(description=_("image"))
    def preview(self, image: ProductImage) -> str:
        url = image.thumbnail.url if image.thumbnail else image.image.url
        return format_html('<img src="{}" alt="" width="64" height="64">', url)


class ProductAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    sku_matrix = SkuMatrixField(label=_("SKU matrix"), required=True)
    upload_image = forms.ImageField(label=_("Add an image"), required=False)
    upload_alt = forms.CharField(label=_("Alt text"), max_length=160, required=False)

    class Meta:
        model = Product
        fields = (
            "code",
            "title",
            "title_en",
            "subtitle",
            "category",
            "brand",
            "tags",
            "status",
            "currency",
            "description_html",
        )
        widgets = {
            "description_html": AdminProseEditorWidget(
                config=DESCRIPTION_EDITOR, preset="configurable"
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["sku_matrix"] = sku_matrix_initial(self.instance.pk)

    def clean_description_html(self) -> str:
        # The editor already limits the markup; the server sanitises again whatever arrives.
        return services.sanitize_description(self.cleaned_data.get("description_html") or "")


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    form = ProductAdminForm
    list_display = (
        "code",
        "title_shown",
        "category",
        "brand",
        "price_shown",
        "status",
        "sales_count",
    )
    list_filter = ("status", "category__depth", "brand")
    search_fields = ("code", "title", "title_en")
    list_select_related = ("category", "brand")
    autocomplete_fields = ("category", "brand", "tags")
    readonly_fields = (
        "price_min_shown",
        "price_max_shown",
        "sales_count",
        "rating_count",
        "rating_sum",
        "cover",
        "published_at",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "title",
                    "title_en",
                    "subtitle",
                    "category",
                    "brand",
                    "tags",
                    "status",
                    "currency",
                )
            },
        ),
        (_("SKUs: options, prices and stock"), {"fields": ("sku_matrix",)}),
        (_("Description"), {"fields": ("description_html",)}),
        (_("Images"), {"fields": ("upload_image", "upload_alt")}),
        (_("Figures"), {"fields": readonly_fields}),
    )
    inlines = (SkuInline, ProductImageInline)
    actions = ["put_on_sale", "take_off_shelf"]

    price_min_shown = money_display("price_min", _("lowest price"), currency=currency_of())
    price_max_shown = money_display("price_max", _("highest price"), currency=currency_of())

    @admin.display(description=_("title"), ordering="title")
    def title_shown(self, product: Product) -> SafeString:
        return format_html('<span translate="no">{}</span>', product.title)

    @admin.display(description=_("price"), ordering="price_min")
    def price_shown(self, product: Product) -> str:
        low = format_money(product.price_min, product.currency)
        if product.price_max == product.price_min:
            return low
        return f"{low} – {format_money(product.price_max, product.currency)}"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        product = form.instance
        try:
            result = services.product_sku_matrix_apply(
                product_id=product.pk, skus=form.cleaned_data["sku_matrix"]
            )
        except DomainError as error:
            self.message_user(request, str(error.message), messages.ERROR)
        else:
            if result.created or result.deactivated:
                self.message_user(
                    request,
                    _("SKUs: %(created)d added, %(updated)d updated, %(deactivated)d deactivated.")
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "deactivated": result.deactivated,
                    },
                    messages.SUCCESS,
                )
        upload = form.cleaned_data.get("upload_image")
        if upload:
            try:
                services.product_image_add(
                    product_id=product.pk,
                    upload=upload,
                    alt=form.cleaned_data.get("upload_alt", ""),
                )
            except DomainError as error:
                self.message_user(request, str(error.message), messages.ERROR)
        services.product_after_admin_save(product.pk)

    def _set_status(self, request: HttpRequest, queryset: QuerySet[Product], status: str) -> None:
        for product_id in queryset.values_list("pk", flat=True):
            services.product_set_status(product_id=product_id, status=status)
        self.message_user(request, _("Status updated."), messages.SUCCESS)

    @admin.action(description=_("Put on sale"))
    def put_on_sale(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_status(request, queryset, Product.Status.ON_SALE)

    @admin.action(description=_("Take off the shelf"))
    def take_off_shelf(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        self._set_status(request, queryset, Product.Status.OFF_SHELF)
