"""Money is a Decimal with a currency; these keep column sizes and rounding in one place."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 18, "decimal_places": 4}
UNIT_PRICE = {"max_digits": 18, "decimal_places": 4}
RATE = {"max_digits": 6, "decimal_places": 3}
ROUND_CENT = Decimal("0.01")


def currency_field(**kwargs):
    return models.CharField(max_length=3, help_text="ISO 4217 code", **kwargs)


def cents(value: Decimal) -> Decimal:
    """Round to the cent the way invoices do (half up), not banker's rounding."""
    return value.quantize(ROUND_CENT, rounding=ROUND_HALF_UP)
