"""Recognising the vendor of an invoice in the vendor master.

By the VAT ids and IBANs printed on it, then by name. The company's own identifiers are
never looked up (extraction.parties): a direct debit mandate prints the buyer's IBAN. An
unknown vendor is never created here: matching reports it (VENDOR_UNKNOWN) and a person
decides.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from rapidfuzz import fuzz, process

from core.models import Vendor
from core.models.masterdata import compact_identifier
from extraction.parties import PrintedIdentifier, own_identity

NAME_MATCH_MIN_SCORE = 90


@dataclass(frozen=True)
class VendorMatch:
    vendor: Vendor | None
    by: str  # "vat_id", "iban", "name", or "" when not recognised
    score: float = 0.0
    # By kind ("vat_id", "iban"): the first printed identifier that names the vendor.
    identifiers: dict[str, PrintedIdentifier] = field(default_factory=dict)


def recognise_vendor(
    *, vat_id: str = "", iban: str = "", name: str = "", printed: Iterable[PrintedIdentifier] = ()
) -> VendorMatch:
    """The vendor whose VAT id or IBAN is `vat_id`, `iban` or one of `printed` (all the
    identifiers on the document), leaving out the company's own. A key two vendors share
    identifies neither; keys of two different vendors identify none. Failing that, the
    vendor named `name` (rapidfuzz token_sort_ratio >= 90)."""
    own = own_identity()
    keys = [
        PrintedIdentifier("vat_id", compact_identifier(vat_id)),
        PrintedIdentifier("iban", compact_identifier(iban)),
        *printed,
    ]
    found = _by_identifiers([k for k in keys if k.value and not own.is_own(k.kind, k.value)])
    if found:
        return found
    if name.strip():
        choices = dict(Vendor.objects.values_list("pk", "name"))
        best = process.extractOne(
            name, choices, scorer=fuzz.token_sort_ratio, processor=str.casefold
        )
        if best and best[1] >= NAME_MATCH_MIN_SCORE:
            return VendorMatch(Vendor.objects.get(pk=best[2]), "name", best[1] / 100)
    return VendorMatch(None, "")


def _by_identifiers(printed: list[PrintedIdentifier]) -> VendorMatch | None:
    wanted = {kind: {p.value for p in printed if p.kind == kind} for kind in ("vat_id", "iban")}
    if not any(wanted.values()):
        return None
    owners: dict[tuple[str, str], set[int]] = defaultdict(set)
    rows = Vendor.objects.filter(Q(vat_id__in=wanted["vat_id"]) | Q(iban__in=wanted["iban"]))
    for pk, vat_id, iban in rows.values_list("pk", "vat_id", "iban"):
        if vat_id in wanted["vat_id"]:
            owners["vat_id", vat_id].add(pk)
        if iban in wanted["iban"]:
            owners["iban", iban].add(pk)
    # A key two vendors share identifies neither of them.
    named = {key: next(iter(pks)) for key, pks in owners.items() if len(pks) == 1}
    if len(set(named.values())) != 1:
        return None  # nothing known, or two different vendors: a person decides
    identifiers: dict[str, PrintedIdentifier] = {}
    for identifier in printed:
        if (identifier.kind, identifier.value) in named:
            identifiers.setdefault(identifier.kind, identifier)
    vendor = Vendor.objects.get(pk=next(iter(named.values())))
    return VendorMatch(vendor, "vat_id" if "vat_id" in identifiers else "iban", 1.0, identifiers)
