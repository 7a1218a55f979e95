"""Money as integer minor units plus an ISO 4217 currency code. Never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from circlemart.core.errors import ValidationFailed


class CurrencyMismatch(ValueError):
    pass


def minor_unit_exponent(currency: str) -> int:
    """Digits after the decimal point: CNY 2, JPY 0, KWD 3."""
    return int(get_currency_precision(currency))


def round_half_up(value: Fraction) -> int:
    """Round a rational to the nearest integer, halves away from zero (the retail convention)."""
    quotient, remainder = divmod(abs(value.numerator), value.denominator)
    if 2 * remainder >= value.denominator:
        quotient += 1
    return quotient if value >= 0 else -quotient


@dataclass(frozen=True, slots=True, order=False)
class Money:
    amount: int  # minor units (fen, cents)
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 code: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_major(cls, value: str | Decimal | int, currency: str) -> Money:
        """Parse "12.34" exactly; more decimals than the currency has is an error."""
        try:
            decimal_value = Decimal(value)
        except ArithmeticError as exc:
            raise ValidationFailed(f"not an amount: {value!r}", field="amount") from exc
        if not decimal_value.is_finite():
            raise ValidationFailed(f"not an amount: {value!r}", field="amount")
        scaled = decimal_value.scaleb(minor_unit_exponent(currency))
        if scaled != scaled.to_integral_value():
            raise ValidationFailed(
                f"{value} has more decimals than {currency} allows", field="amount"
            )
        return cls(int(scaled), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("multiply Money by an int; use percent() for rates")
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def percent(self, rate_percent: int | Decimal | str) -> Money:
        """`rate_percent` of this amount, rounded half up to the minor unit."""
        rate = Fraction(Decimal(str(rate_percent)))
        return Money(round_half_up(Fraction(self.amount) * rate / 100), self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to `weights`; parts sum exactly to the whole.

        Largest-remainder method: used to spread an order discount over its lines.
        """
        if not weights or any(weight < 0 for weight in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative and not all zero")
        total = sum(weights)
        sign = -1 if self.amount < 0 else 1
        whole = abs(self.amount)
        shares = [whole * weight // total for weight in weights]
        remainders = [whole * weight % total for weight in weights]
        leftover = whole - sum(shares)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for index in by_remainder[:leftover]:
            shares[index] += 1
        return [Money(sign * share, self.currency) for share in shares]

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-minor_unit_exponent(self.currency))

    def format(self, locale: str = "zh_Hans_CN") -> str:
        """Localised display: "¥1,234.50" in Chinese, "CN¥1,234.50" in English."""
        shape = _currency_shape(self.currency, locale)
        if shape is None or self.amount < 0:
            return str(format_currency(self.to_decimal(), self.currency, locale=locale))
        prefix, group, decimal_point, suffix = shape
        exponent = minor_unit_exponent(self.currency)
        whole, fraction = divmod(self.amount, 10**exponent)
        digits = f"{whole:,}".replace(",", group)
        if exponent:
            digits += f"{decimal_point}{fraction:0{exponent}d}"
        return f"{prefix}{digits}{suffix}"

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"


@lru_cache(maxsize=64)
def _currency_shape(currency: str, locale: str) -> tuple[str, str, str, str] | None:
    """Babel's pattern for this currency and locale, read once from a sample (Babel parses its
    locale data on every call, which dominated page rendering). None: use Babel each time."""
    exponent = minor_unit_exponent(currency)
    sample = str(
        format_currency(Decimal("1234567") + Decimal(89).scaleb(-2), currency, locale=locale)
    )
    if exponent != 2:
        return None
    found = re.fullmatch(r"(\D*)1(\D)234(\D)567(\D)89(\D*)", sample)
    if found is None or found.group(2) != found.group(3):
        return None
    prefix, group, _, decimal_point, suffix = found.groups()
    return prefix, group, decimal_point, suffix


def babel_locale(language_code: str | None) -> str:
    """Map a Django language code to the Babel locale used for number formatting."""
    if not language_code or language_code.lower().startswith("zh"):
        return "zh_Hans_CN"
    return "en_US" if language_code.lower().startswith("en") else language_code.replace("-", "_")
