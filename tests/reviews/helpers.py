"""Review fixtures. `Purchases` stands in for orders.selectors (monkeypatched) until the
tests switch to real delivered orders: it answers delivered_purchases and purchase_line."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from circlemart.orders.contracts import PurchaseRef

_lines = itertools.count(1000)


class Purchases:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.refs: dict[int, list[tuple[int, PurchaseRef]]] = {}
        monkeypatch.setattr("circlemart.orders.selectors.delivered_purchases", self.delivered)
        monkeypatch.setattr("circlemart.orders.selectors.purchase_line", self.line)

    def buy(self, user, product) -> int:
        line_id = next(_lines)
        ref = PurchaseRef(
            order_number=f"O{line_id}",
            order_line_id=line_id,
            product_id=product.pk,
            sku_id=1,
            delivered_at=datetime(2025, 1, 1, tzinfo=UTC),
        )
        self.refs.setdefault(user.pk, []).append((product.pk, ref))
        return line_id

    def delivered(self, *, user_id: int, product_id: int) -> list[PurchaseRef]:
        return [ref for pid, ref in self.refs.get(user_id, []) if pid == product_id]

    def line(self, *, user_id: int, order_line_id: int) -> PurchaseRef | None:
        for _pid, ref in self.refs.get(user_id, []):
            if ref.order_line_id == order_line_id:
                return ref
        return None


def make_merchant(user) -> None:
    user.groups.add(Group.objects.get_or_create(name="merchant_staff")[0])


def make_moderator(user) -> None:
    user.groups.add(Group.objects.get_or_create(name="moderator")[0])


def photo(
    name: str = "p.jpg", fmt: str = "JPEG", size: tuple[int, int] = (900, 600), exif: bool = False
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x0132] = "2024:01:01 10:00:00"
        kwargs["exif"] = data.tobytes()
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
