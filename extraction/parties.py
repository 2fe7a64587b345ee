"""Seller and buyer told apart: the company's own identity, and the identifiers printed.

The company running Ledgerline is the buyer on every invoice it receives, so its name in
the address window, its VAT id and the IBAN of a direct debit mandate are printed on them
too. Its own identity comes from the settings (COMPANY_NAME, COMPANY_VAT_IDS,
COMPANY_IBANS, COMPANY_ADDRESSES) and from the admin ("Own identities"); whatever matches
it is never the vendor's.
"""

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from rapidfuzz import fuzz

from core.identifiers import compact_identifier
from core.models import masterdata
from extraction.layout import Box, Segment, Word, group_lines
from extraction.parsing import find_iban, tax_ids_in, vat_ids_in

log = logging.getLogger(__name__)
# How long a process keeps the admin's rows: an admin's change is seen within a minute.
CACHE_SECONDS = 60
NAME_MIN_SCORE = 90
# Legal forms say nothing about who a company is: "Northwind Ltd" is "Northwind Limited".
LEGAL_FORMS = {
    "gmbh", "co", "kg", "ag", "ohg", "ug", "ek", "ltd", "limited", "llc", "inc", "corp",
    "corporation", "plc", "sarl", "sas", "sa", "bv", "nv", "oy", "ab", "as", "aps", "srl",
    "spa",
}  # fmt: skip
_cache: dict[str, tuple[float, tuple[tuple[str, str], ...]]] = {}


def name_tokens(text: str) -> tuple[str, ...]:
    """A company name as compared: casefolded words without punctuation or legal forms."""
    text = text.casefold().replace("a/s", "as").replace(".", "")  # "s.a.r.l." -> "sarl"
    return tuple(word for word in re.split(r"[\W_]+", text) if word and word not in LEGAL_FORMS)


def _address_text(text: str) -> str:
    return " ".join(re.split(r"[\W_]+", text.casefold())).strip()


@dataclass(frozen=True)
class OwnIdentity:
    """The company's own names, VAT ids and IBANs (compact, upper case) and addresses (as
    printed, an address's lines separated by commas)."""

    names: tuple[str, ...] = ()
    vat_ids: tuple[str, ...] = ()
    ibans: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls) -> "OwnIdentity":
        return cls(
            names=(settings.COMPANY_NAME,) if settings.COMPANY_NAME.strip() else (),
            vat_ids=tuple(compact_identifier(v) for v in settings.COMPANY_VAT_IDS),
            ibans=tuple(compact_identifier(v) for v in settings.COMPANY_IBANS),
            addresses=tuple(settings.COMPANY_ADDRESSES),
        )

    def with_rows(self, rows) -> "OwnIdentity":
        """This identity and the admin's rows, pairs (kind, value) as OwnIdentity keeps them."""
        more: dict[str, list[str]] = {"name": [], "vat_id": [], "iban": [], "address": []}
        for kind, value in rows:
            if kind in more and value.strip():
                more[kind].append(value)
        return OwnIdentity(
            names=self.names + tuple(more["name"]),
            vat_ids=self.vat_ids + tuple(compact_identifier(v) for v in more["vat_id"]),
            ibans=self.ibans + tuple(compact_identifier(v) for v in more["iban"]),
            addresses=self.addresses + tuple(more["address"]),
        )

    def is_own_name(self, text: str) -> bool:
        """Whether `text` names the company: rapidfuzz token_set_ratio >= 90 after casefold
        and without legal forms, which also holds when the text contains the whole name
        ("Northwind Manufacturing Ltd, Purchasing"). The text must have as many words as
        the name ("Manufacturing" is not "Northwind Manufacturing") and at most three more
        (a sentence that mentions the company is not its name); a one-word name must be the
        whole text ("Acme" is not "Acme Office Supplies")."""
        words = name_tokens(text)
        if not words:
            return False
        for name in self.names:
            own = name_tokens(name)
            if not own or not len(own) <= len(words) <= len(own) + 3:
                continue
            if len(own) == 1:
                if fuzz.ratio(" ".join(words), own[0]) >= NAME_MIN_SCORE:
                    return True
            elif fuzz.token_set_ratio(" ".join(words), " ".join(own)) >= NAME_MIN_SCORE:
                return True
        return False

    def is_own_vat_id(self, value: str) -> bool:
        return bool(value) and compact_identifier(value) in self.vat_ids

    def is_own_iban(self, value: str) -> bool:
        return bool(value) and compact_identifier(value) in self.ibans

    def is_own_address(self, text: str) -> bool:
        """Whether `text` is one of the company's addresses, or a line of one that holds a
        digit (a street and number, a postcode and town), as printed give or take a typo."""
        printed = _address_text(text)
        if not printed:
            return False
        for address in self.addresses:
            lines = [address, *(line for line in address.split(",") if re.search(r"\d", line))]
            if any(fuzz.ratio(printed, _address_text(line)) >= NAME_MIN_SCORE for line in lines):
                return True
        return False

    def is_own(self, kind: str, value: str) -> bool:
        """For a printed identifier: kind "vat_id" or "iban"."""
        return self.is_own_vat_id(value) if kind == "vat_id" else self.is_own_iban(value)


def own_identity() -> OwnIdentity:
    """The company's own identity: the settings, and the rows an admin keeps."""
    return OwnIdentity.from_settings().with_rows(admin_identities())


def admin_identities() -> tuple[tuple[str, str], ...]:
    """The admin's own identities as pairs (kind, value), read at most once a minute per
    process. None when the database is not migrated or cannot be reached: `manage.py
    extract` works before `migrate` (DESIGN.md), on the settings alone."""
    cached = _cache.get("rows")
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        if connection.in_atomic_block:
            # A savepoint, so that a missing table does not spoil the caller's transaction.
            with transaction.atomic():
                rows = _read_rows()
        else:
            rows = _read_rows()  # no BEGIN: on SQLite it would take the write lock
    except DatabaseError as exc:
        log.info("own identities from the settings alone: %s", exc)
        rows = ()
    _cache["rows"] = (time.monotonic(), rows)
    return rows


def _read_rows() -> tuple[tuple[str, str], ...]:
    return tuple(masterdata.OwnIdentity.objects.values_list("kind", "value"))


def clear_cache() -> None:
    """Forget the admin's rows read so far (tests; the next call reads them again)."""
    _cache.clear()


@dataclass(frozen=True)
class PrintedIdentifier:
    """A VAT id or IBAN printed on a document, where it stands."""

    kind: str  # "vat_id" or "iban"
    value: str  # compact, upper case
    page: int | None = None  # 1-based; None for e-invoice XML
    bbox: Box | None = None


def printed_identifiers(words: list[Word]) -> list[PrintedIdentifier]:
    """Every VAT id (or labelled tax id: an ABN, a GST number) and every IBAN on the
    pages, in reading order, the buyer's included; the parsers are extraction.parsing's."""
    found = []
    for line in group_lines(words):
        for segment in line.segments:
            for value in [*vat_ids_in(segment.text), *tax_ids_in(segment.text)]:
                found.append(PrintedIdentifier("vat_id", value, segment.page, segment.bbox))
        tokens = [word.text for word in line.words]
        start = 0
        while hit := find_iban(tokens[start:]):
            iban, first, end = hit
            box = Segment(line.words[start + first : start + end]).bbox
            found.append(PrintedIdentifier("iban", iban, line.page, box))
            start += end
    return found
