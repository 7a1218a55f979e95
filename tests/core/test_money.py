from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circlemart.core.errors import ValidationFailed
from circlemart.core.money import (
    CurrencyMismatch,
    Money,
    babel_locale,
    minor_unit_exponent,
    round_half_up,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12)


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


# --- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["100", 1.5, Decimal(1), True, None])
def test_amount_must_be_an_int_of_minor_units(amount):
    with pytest.raises(TypeError, match=r"^Money.amount must be an int of minor units$"):
        Money(amount, "CNY")


@pytest.mark.parametrize("currency", ["cny", "CN", "CNYY", "", "Cny"])
def test_currency_must_look_like_an_iso_code(currency):
    with pytest.raises(ValueError, match=r"^not an ISO 4217 code: "):
        Money(100, currency)


def test_zero_is_falsy_and_any_other_amount_is_truthy():
    assert Money.zero("CNY") == Money(0, "CNY")
    assert not Money.zero("CNY")
    assert bool(cny(1)) is True
    assert bool(cny(-1)) is True


def test_equality_includes_the_currency():
    assert cny(100) == Money(100, "CNY")
    assert cny(100) != Money(100, "USD")
    assert len({cny(100), Money(100, "CNY"), Money(100, "USD")}) == 2


# --- arithmetic --------------------------------------------------------------------------------


def test_add_subtract_negate_multiply():
    assert cny(1050) + cny(250) == cny(1300)
    assert cny(1050) - cny(2000) == cny(-950)
    assert -cny(1050) == cny(-1050)
    assert cny(199) * 3 == cny(597)
    assert 3 * cny(199) == cny(597)
    assert cny(199) * 0 == cny(0)


@pytest.mark.parametrize("factor", [1.5, Decimal("1.5"), True, "2"])
def test_multiplying_by_anything_but_an_int_is_refused(factor):
    with pytest.raises(TypeError, match=r"^multiply Money by an int; use percent\(\) for rates$"):
        cny(100) * factor


def test_combining_with_a_plain_number_is_refused():
    with pytest.raises(TypeError, match=r"^cannot combine Money with int$"):
        cny(100) + 1  # type: ignore[operator]


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
    ids=["add", "sub", "lt", "le", "gt", "ge"],
)
def test_mixing_currencies_is_refused(operation):
    with pytest.raises(CurrencyMismatch, match=r"^CNY vs USD$"):
        operation(cny(100), Money(100, "USD"))


def test_comparisons():
    assert cny(99) < cny(100)
    assert cny(100) <= cny(100)
    assert cny(101) > cny(100)
    assert cny(100) >= cny(100)
    assert not cny(100) < cny(100)
    assert not cny(100) > cny(100)


# --- parsing major units -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.34", "CNY", 1234),
        ("12.3", "CNY", 1230),
        ("12.340000", "CNY", 1234),
        ("-0.01", "CNY", -1),
        ("0", "CNY", 0),
        (12, "CNY", 1200),
        (Decimal("19.99"), "USD", 1999),
        # 0.1 + 0.2 style drift cannot happen: the string is parsed as a decimal.
        ("0.30", "CNY", 30),
        ("99999999999.99", "CNY", 9999999999999),
        ("1234", "JPY", 1234),
        ("1.234", "KWD", 1234),
        ("1e2", "CNY", 10000),
    ],
)
def test_from_major_is_exact(value, currency, expected):
    assert Money.from_major(value, currency) == Money(expected, currency)


@pytest.mark.parametrize(
    ("value", "currency"),
    [("12.345", "CNY"), ("0.001", "CNY"), ("12.5", "JPY"), ("1.2345", "KWD")],
)
def test_from_major_refuses_more_decimals_than_the_currency_has(value, currency):
    with pytest.raises(ValidationFailed) as caught:
        Money.from_major(value, currency)
    assert caught.value.field == "amount"
    assert caught.value.code == "invalid"
    assert caught.value.message == f"{value} has more decimals than {currency} allows"


@pytest.mark.parametrize("value", ["abc", "", "12,34", "NaN", "Infinity", "-inf", "1.2.3"])
def test_from_major_refuses_what_is_not_an_amount(value):
    with pytest.raises(ValidationFailed) as caught:
        Money.from_major(value, "CNY")
    assert caught.value.field == "amount"
    assert caught.value.message == f"not an amount: {value!r}"


def test_minor_unit_exponents():
    assert minor_unit_exponent("CNY") == 2
    assert minor_unit_exponent("USD") == 2
    assert minor_unit_exponent("JPY") == 0
    assert minor_unit_exponent("KWD") == 3


def test_jpy_has_no_minor_unit():
    yen = Money.from_major("1500", "JPY")
    assert yen.amount == 1500
    assert yen.to_decimal() == Decimal(1500)
    assert str(yen) == "1500 JPY"
    assert yen.percent(10) == Money(150, "JPY")


def test_to_decimal_and_str():
    assert cny(123450).to_decimal() == Decimal("1234.50")
    assert str(cny(123450)) == "1234.50 CNY"
    assert str(cny(-5)) == "-0.05 CNY"
    assert str(Money(1234, "KWD")) == "1.234 KWD"


# --- percentages and rounding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(5, 2), 3),
        (Fraction(-5, 2), -3),
        (Fraction(3, 2), 2),
        (Fraction(-3, 2), -2),
        (Fraction(249, 100), 2),
        (Fraction(-249, 100), -2),
        (Fraction(251, 100), 3),
        (Fraction(-251, 100), -3),
        (Fraction(1, 2), 1),
        (Fraction(-1, 2), -1),
        (Fraction(0), 0),
        (Fraction(7), 7),
        (Fraction(-7), -7),
    ],
)
def test_round_half_up_rounds_halves_away_from_zero(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        (10000, 15, 1500),
        (1999, 10, 200),  # 199.9 → 200
        (1994, 10, 199),  # 199.4 → 199
        (1995, 10, 200),  # 199.5 → 200: half up
        (-1995, 10, -200),  # -199.5 → -200: halves go away from zero
        (-1994, 10, -199),
        (5, 10, 1),  # 0.5 → 1
        (-5, 10, -1),
        (4, 10, 0),
        (1000, "12.5", 125),
        (999, "12.5", 125),  # 124.875 → 125
        (333, Decimal("33.3333"), 111),  # 110.9998889 → 111
        (100, 0, 0),
        (100, 100, 100),
        (100, 150, 150),
    ],
)
def test_percent_rounds_half_up_to_the_minor_unit(amount, rate, expected):
    assert cny(amount).percent(rate) == cny(expected)


@given(amount=amounts, rate=st.integers(min_value=0, max_value=100))
def test_percent_is_within_half_a_minor_unit_of_the_exact_value(amount, rate):
    exact = Fraction(amount * rate, 100)
    result = cny(amount).percent(rate).amount
    assert abs(result - exact) <= Fraction(1, 2)
    # symmetric around zero: rounding a negative amount mirrors the positive one
    assert cny(-amount).percent(rate).amount == -result


# --- allocation --------------------------------------------------------------------------------


def test_allocate_spreads_the_remainder_by_largest_remainder():
    assert cny(100).allocate([1, 1, 1]) == [cny(34), cny(33), cny(33)]
    assert cny(-100).allocate([1, 1, 1]) == [cny(-34), cny(-33), cny(-33)]
    assert cny(1000).allocate([1, 2, 7]) == [cny(100), cny(200), cny(700)]
    # 5 split 3:3:1 → 2.142…, 2.142…, 0.714… → the leftover cent goes to the largest remainder
    assert cny(5).allocate([3, 3, 1]) == [cny(2), cny(2), cny(1)]
    assert cny(7).allocate([0, 1]) == [cny(0), cny(7)]
    assert cny(0).allocate([2, 3]) == [cny(0), cny(0)]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [-1]])
def test_allocate_refuses_weights_that_cannot_split(weights):
    with pytest.raises(ValueError, match=r"^weights must be non-negative and not all zero$"):
        cny(100).allocate(weights)


@given(
    amount=amounts,
    weights=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20).filter(
        lambda weights: sum(weights) > 0
    ),
)
def test_allocate_parts_sum_exactly_to_the_whole(amount, weights):
    parts = cny(amount).allocate(weights)
    assert len(parts) == len(weights)
    assert sum(part.amount for part in parts) == amount
    assert {part.currency for part in parts} == {"CNY"}
    total = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        # every part is its exact share rounded down or up; an exact share is never rounded
        share, remainder = divmod(abs(amount) * weight, total)
        expected = (share,) if remainder == 0 else (share, share + 1)
        assert abs(part.amount) in expected
        assert part.amount == 0 or (part.amount < 0) == (amount < 0)


@given(amount=amounts, count=st.integers(min_value=1, max_value=50))
def test_allocate_with_equal_weights_gives_parts_differing_by_at_most_one(amount, count):
    parts = [part.amount for part in cny(amount).allocate([1] * count)]
    assert sum(parts) == amount
    assert max(parts) - min(parts) <= 1
    # the bigger parts come first, so the split is deterministic
    assert [abs(part) for part in parts] == sorted((abs(part) for part in parts), reverse=True)


# --- formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(123450, "CNY"), "zh_Hans_CN", "¥1,234.50"),
        (Money(123450, "CNY"), "en_US", "CN¥1,234.50"),
        (Money(-123450, "CNY"), "zh_Hans_CN", "-¥1,234.50"),
        (Money(5, "USD"), "en_US", "$0.05"),
        (Money(5, "USD"), "zh_Hans_CN", "US$0.05"),
        (Money(1234, "JPY"), "en_US", "¥1,234"),
        (Money(1234, "JPY"), "zh_Hans_CN", "JP¥1,234"),
    ],
)
def test_format_uses_the_locale_symbol_and_grouping(money, locale, expected):
    assert money.format(locale) == expected


def test_format_defaults_to_chinese():
    assert Money(100, "CNY").format() == "¥1.00"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "zh_Hans_CN"),
        ("", "zh_Hans_CN"),
        ("zh-hans", "zh_Hans_CN"),
        ("zh-cn", "zh_Hans_CN"),
        ("en", "en_US"),
        ("en-GB", "en_US"),
        ("ja", "ja"),
        ("pt-br", "pt_br"),
    ],
)
def test_babel_locale(language, expected):
    assert babel_locale(language) == expected


@pytest.mark.parametrize("currency", ["CNY", "USD", "EUR", "JPY", "KWD"])
@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en_US", "de_DE", "fr_FR"])
@pytest.mark.parametrize("amount", [0, 7, 99, 100, 123_456, 100_000_000, -250])
def test_fast_formatting_matches_babel_exactly(currency, locale, amount):
    from babel.numbers import format_currency

    money = Money(amount, currency)
    assert money.format(locale) == format_currency(money.to_decimal(), currency, locale=locale)
