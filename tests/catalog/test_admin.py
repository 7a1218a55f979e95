"""Merchant staff manage the catalog in the back office; derived fields stay right."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from circlemart.accounts import services as account_services
from circlemart.accounts.contracts import Role
from circlemart.catalog.models import Category, Product
from circlemart.core.models import OutboxEvent
from circlemart.inventory.models import StockLevel
from tests.accounts.factories import UserFactory
from tests.catalog import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant() -> Client:
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    staff = UserFactory()
    account_services.role_grant(actor=admin, user=staff, role=Role.MERCHANT_STAFF)
    client = Client()
    client.force_login(staff)
    return client


def inline_management(prefix: str, total: int, initial: int = 0) -> dict[str, object]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def test_merchant_adds_a_category_under_a_parent(merchant):
    root = factories.category("数码")
    response = merchant.post(
        "/admin/catalog/category/add/",
        {
            "name": "耳机",
            "name_en": "Earphones",
            "slug": "earphones",
            "parent": root.pk,
            "position": 0,
            "icon": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:500]
    created = Category.objects.get(slug="earphones")
    assert created.path == root.path + "0001"
    assert created.depth == 1


def test_merchant_creates_a_product_with_skus_and_an_image(merchant):
    leaf = factories.category("耳机")
    buffer = io.BytesIO()
    Image.new("RGB", (640, 640), (0, 0, 0)).save(buffer, format="PNG")
    data = {
        "code": "ADM-1",
        "title": "后台商品",
        "title_en": "Back office product",
        "subtitle": "",
        "category": leaf.pk,
        "brand": "",
        "status": "on_sale",
        "currency": "CNY",
        "description_html": "<p>ok</p><script>x</script>",
        "upload_alt": "正面",
        "upload_image": SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png"),
        **inline_management("skus", 0),
        "sku_matrix": json.dumps(
            {
                "options": [{"name": "颜色", "values": ["黑", "白"]}],
                "rows": [
                    {
                        "options": {"颜色": "黑"},
                        "code": "ADM-1-A",
                        "price": "159",
                        "original_price": "",
                        "stock": "3",
                        "max_per_order": "5",
                    },
                    {
                        "options": {"颜色": "白"},
                        "code": "ADM-1-B",
                        "price": "¥129.00",
                        "original_price": "199",
                        "stock": "4",
                        "max_per_order": "5",
                    },
                ],
            }
        ),
        **inline_management("images", 0),
    }
    response = merchant.post("/admin/catalog/product/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(code="ADM-1")
    assert (product.price_min, product.price_max) == (12900, 15900)
    assert "script" not in product.description_html
    assert product.published_at is not None
    assert product.cover.endswith("-400.webp")
    assert sorted(product.skus.values_list("options_key", flat=True)) == ["颜色=白", "颜色=黑"]
    assert OutboxEvent.objects.filter(event_type="catalog.ProductChanged").exists()


def test_stock_edits_go_through_the_service(merchant):
    product = factories.product(stock=(4,))
    level = StockLevel.objects.get(sku__product=product)
    level.reserved = 3
    level.save()
    refused = merchant.post(f"/admin/inventory/stocklevel/{level.pk}/change/", {"on_hand": 2})
    assert refused.status_code == 302
    level.refresh_from_db()
    assert level.on_hand == 4
    merchant.post(f"/admin/inventory/stocklevel/{level.pk}/change/", {"on_hand": 9})
    level.refresh_from_db()
    assert level.on_hand == 9


def test_analyst_reads_but_cannot_edit_the_catalog():
    admin = UserFactory(is_superuser=True, is_staff=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    analyst = UserFactory()
    account_services.role_grant(actor=admin, user=analyst, role=Role.ANALYST)
    client = Client()
    client.force_login(analyst)
    product = factories.product()
    assert client.get("/admin/catalog/product/").status_code == 200
    assert client.get("/admin/catalog/product/add/").status_code == 403
    client.post(f"/admin/catalog/product/{product.pk}/change/", {"title": "改"})
    product.refresh_from_db()
    assert product.title != "改"
