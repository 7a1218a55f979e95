"""Money in the back office: entered in yuan, stored exactly as integer fen, shown as ¥."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from circlemart.core.admin_widgets import MoneyField, MoneyWidget, format_money, options_text


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("6003.90", 600390),
        ("6003.9", 600390),
        ("6,003.90", 600390),
        ("¥6003.90", 600390),
        ("￥ 6，003.90元", 600390),
        ("59.90", 5990),
        ("0.01", 1),
        (".5", 50),
        ("0", 0),
        ("12", 1200),
        ("  19.99 ", 1999),
        ("1234567890.12", 123456789012),
    ],
)
def test_money_field_converts_yuan_to_fen_exactly(typed: str, fen: int) -> None:
    assert MoneyField().clean(typed) == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.234", "Use at most 2 decimal places."),
        ("0.001", "Use at most 2 decimal places."),
        ("-1", "The amount cannot be negative."),
        ("-0.5", "The amount cannot be negative."),
        ("abc", "Enter an amount such as 59.90."),
        ("1e3", "Enter an amount such as 59.90."),
        ("1.2.3", "Enter an amount such as 59.90."),
        ("NaN", "Enter an amount such as 59.90."),
        (".", "Enter an amount such as 59.90."),
    ],
)
def test_money_field_refuses_what_is_not_a_price(typed: str, message: str) -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            MoneyField().clean(typed)
        assert refused.value.messages == [message]


def test_money_field_bounds_are_fen_and_shown_in_yuan() -> None:
    field = MoneyField(min_value=1, max_value=10000)
    with translation.override("en"):
        with pytest.raises(ValidationError) as high:
            field.clean("100.01")
        assert high.value.messages == ["The amount can be at most CN¥100.00."]
        with pytest.raises(ValidationError) as low:
            field.clean("0")
        assert low.value.messages == ["The amount must be at least CN¥0.01."]
    assert field.clean("100") == 10000


def test_empty_is_none_when_optional_and_required_otherwise() -> None:
    assert MoneyField(required=False).clean("") is None
    with pytest.raises(ValidationError):
        MoneyField().clean("")


def test_the_widget_shows_fen_as_yuan_with_the_sign() -> None:
    html = MoneyWidget().render("price", 600390)
    assert 'value="6003.90"' in html
    assert "¥" in html
    assert 'inputmode="decimal"' in html
    assert MoneyField().prepare_value(5990) == "59.90"
    assert not MoneyField().has_changed(5990, "59.9")
    assert MoneyField().has_changed(5990, "59.91")


def test_display_and_options_text() -> None:
    with translation.override("zh-hans"):
        assert format_money(600390) == "¥6,003.90"
        assert format_money(None) == "—"
    assert options_text({"颜色": "红", "尺码": "M"}) == "颜色: 红 / 尺码: M"
    assert options_text({}) == "—"
