"""Channel spend: recorded through the service, imported from CSV whole or not at all, and
uploaded in the back office by analysts."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.analytics.metrics.services import channel_spend_record
from circlemart.analytics.metrics.spend_import import channel_spend_import
from circlemart.analytics.models import ChannelSpend
from circlemart.core.errors import ValidationFailed
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SPEND = "/admin/analytics/channelspend/"
GOOD_CSV = (
    "day,channel,campaign,amount,currency\n"
    "2026-03-01,search,,20000,CNY\n"
    "2026-03-02,ad,brand,6000,cny\n"
    "\n"
    "2026-03-02,ad,sale,4000,\n"
)


def spend_rows() -> list[tuple[date, str, str, int, str]]:
    return sorted(
        ChannelSpend.objects.values_list("day", "channel", "campaign", "amount", "currency")
    )


def test_recording_again_corrects_the_same_day_channel_and_campaign() -> None:
    channel_spend_record(day=date(2026, 3, 1), channel="ad", campaign="brand", amount=500)
    channel_spend_record(day=date(2026, 3, 1), channel="ad", campaign="brand", amount=700)
    channel_spend_record(day=date(2026, 3, 1), channel="ad", amount=100)

    assert spend_rows() == [
        (date(2026, 3, 1), "ad", "", 100, "CNY"),
        (date(2026, 3, 1), "ad", "brand", 700, "CNY"),
    ]


@pytest.mark.parametrize(
    ("arguments", "code", "field"),
    [
        ({"channel": "tv"}, "unknown_channel", "channel"),
        ({"amount": -1}, "bad_amount", "amount"),
        ({"amount": 12.5}, "bad_amount", "amount"),
        ({"amount": True}, "bad_amount", "amount"),
        ({"currency": "RMB1"}, "bad_currency", "currency"),
        ({"campaign": "x" * 101}, "bad_campaign", "campaign"),
    ],
)
def test_bad_spend_is_refused(arguments: dict[str, object], code: str, field: str) -> None:
    spend: dict[str, object] = {"day": date(2026, 3, 1), "channel": "ad", "amount": 100}
    spend.update(arguments)

    with pytest.raises(ValidationFailed) as refused:
        channel_spend_record(**spend)  # type: ignore[arg-type]

    assert (refused.value.code, refused.value.field) == (code, field)
    assert ChannelSpend.objects.count() == 0


def test_a_csv_is_imported() -> None:
    assert channel_spend_import(text="\ufeff" + GOOD_CSV) == 3

    assert spend_rows() == [
        (date(2026, 3, 1), "search", "", 20000, "CNY"),
        (date(2026, 3, 2), "ad", "brand", 6000, "CNY"),
        (date(2026, 3, 2), "ad", "sale", 4000, "CNY"),
    ]


def test_one_bad_line_stores_nothing_and_every_bad_line_is_named() -> None:
    text = (
        "day,channel,campaign,amount,currency\n"
        "2026-03-01,search,,20000,CNY\n"
        "2026-02-30,ad,,100,CNY\n"
        "2026-03-02,tv,,100,CNY\n"
        "2026-03-02,ad,,-5,CNY\n"
        "2026-03-02,ad,,1.5,CNY\n"
        "2026-03-01,search,,1,CNY\n"
    )

    with pytest.raises(ValidationFailed) as refused:
        channel_spend_import(text=text)

    assert refused.value.code == "bad_lines"
    assert refused.value.field == "lines[3].day"
    assert [(error["line"], error["field"]) for error in refused.value.extra["errors"]] == [
        (3, "day"),
        (4, "channel"),
        (5, "amount"),
        (6, "amount"),
        (7, "campaign"),  # the same day, channel and campaign as line 2
    ]
    assert "line 4, channel" in str(refused.value.message)
    assert ChannelSpend.objects.count() == 0


def test_a_csv_without_the_columns_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        channel_spend_import(text="date,channel,amount\n2026-03-01,ad,5\n")

    assert (refused.value.code, refused.value.field) == ("bad_header", "file")
    assert ChannelSpend.objects.count() == 0


def staff(role: Role | None) -> Client:
    user = UserFactory(is_staff=True)
    if role is not None:
        user.groups.set([Group.objects.get(name=role.value)])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(pk=user.pk))
    return client


def upload(client: Client, text: str) -> object:
    return client.post(
        f"{SPEND}import/",
        {"file": SimpleUploadedFile("spend.csv", text.encode(), content_type="text/csv")},
    )


def test_an_analyst_uploads_spend_in_the_back_office() -> None:
    client = staff(Role.ANALYST)
    assert client.get(SPEND).status_code == 200
    assert client.get(f"{SPEND}import/").status_code == 200

    response = upload(client, GOOD_CSV)

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert len(spend_rows()) == 3
    assert client.get(SPEND).status_code == 200


def test_a_bad_upload_shows_the_lines_and_stores_nothing() -> None:
    client = staff(Role.ANALYST)

    response = upload(client, "day,channel,campaign,amount,currency\n2026-03-01,tv,,5,CNY\n")

    assert response.status_code == 200  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "Unknown channel “tv”." in page
    assert "<td>2</td><td>channel</td>" in page
    assert ChannelSpend.objects.count() == 0


def test_the_admin_form_refuses_a_negative_amount() -> None:
    client = staff(Role.ANALYST)

    response = client.post(
        f"{SPEND}add/",
        {"day": "2026-03-01", "channel": "ad", "campaign": "", "amount": "-3", "currency": "CNY"},
    )

    assert response.status_code == 200
    assert ChannelSpend.objects.count() == 0


def test_staff_without_the_analyst_role_cannot_upload() -> None:
    client = staff(None)

    assert upload(client, GOOD_CSV).status_code in {302, 403}  # type: ignore[attr-defined]
    assert ChannelSpend.objects.count() == 0
