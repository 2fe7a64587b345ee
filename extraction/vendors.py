"""Recognising the vendor of an invoice in the vendor master.

By VAT id, then IBAN, then name. An unknown vendor is never created here: matching reports
it (VENDOR_UNKNOWN) and a person decides.
"""

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from core.models import Vendor
from core.models.masterdata import compact_identifier

NAME_MATCH_MIN_SCORE = 90


@dataclass(frozen=True)
class VendorMatch:
    vendor: Vendor | None
    by: str  # "vat_id", "iban", "name", or "" when not recognised
    score: float = 0.0


def recognise_vendor(*, vat_id: str = "", iban: str = "", name: str = "") -> VendorMatch:
    for field_name, value in (("vat_id", vat_id), ("iban", iban)):
        key = compact_identifier(value)
        if key:
            found = list(Vendor.objects.filter(**{field_name: key})[:2])
            if len(found) == 1:  # a key two vendors share identifies neither of them
                return VendorMatch(found[0], field_name, 1.0)
    if name.strip():
        choices = dict(Vendor.objects.values_list("pk", "name"))
        best = process.extractOne(
            name, choices, scorer=fuzz.token_sort_ratio, processor=str.casefold
        )
        if best and best[1] >= NAME_MATCH_MIN_SCORE:
            return VendorMatch(Vendor.objects.get(pk=best[2]), "name", best[1] / 100)
    return VendorMatch(None, "")
