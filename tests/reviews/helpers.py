"""Review fixtures. `Purchases.buy` makes a real delivered order through the orders services
(the capture is recorded as the payments handler records it), so reviews see true purchases."""

from __future__ import annotations

import io

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from circlemart.accounts import selectors as account_selectors
from circlemart.accounts import services as account_services
from circlemart.inventory import services as inventory_services
from circlemart.orders import services as order_services
from circlemart.pricing.contracts import QuoteItem


class Purchases:
    def __init__(self) -> None:
        self._staff_id: int | None = None

    def _staff(self) -> int:
        if self._staff_id is None:
            from tests.orders.test_aftersales import make_staff

            self._staff_id = make_staff().pk
        return self._staff_id

    def buy(self, user, product) -> int:
        """A delivered order of one unit of the product's first SKU; returns its line id."""
        address_id = account_selectors.default_address_id(user.pk)
        if address_id is None:
            address_id = account_services.address_create(
                user=user,
                data=account_services.AddressInput(
                    recipient="评价人",
                    phone="13900139000",
                    province="浙江",
                    city="杭州",
                    detail="文三路 1 号",
                ),
            ).pk
        sku_id = product.skus.order_by("id").values_list("pk", flat=True)[0]
        inventory_services.stock_adjust(sku_id=sku_id, delta=1)
        order = order_services.order_place(
            buyer_id=user.pk,
            data=order_services.CheckoutInput(items=[QuoteItem(sku_id, 1)], address_id=address_id),
        )
        order_services.order_record_payment(number=order.number, payment_id=0, amount=order.total)
        order_services.order_ship(
            staff_id=self._staff(), number=order.number, carrier="SF", tracking_number="SF1"
        )
        order_services.order_confirm_delivery(buyer_id=user.pk, number=order.number)
        return order.lines.get().pk


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
