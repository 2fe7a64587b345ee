"""Identifiers as they are compared: no Django here, so pure code (the matching engine)
uses them too."""

import re


def compact_identifier(value: str) -> str:
    """VAT ids and IBANs are stored and compared without spaces, dots or dashes."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def normalise_po_number(raw: str) -> str:
    """'PO 4500-0123', 'po#45000123' and '45000123' are the same number.

    Prefixes and punctuation are dropped; a number needs at least one digit to count.
    """
    text = re.sub(
        r"^\s*(p\.?\s*o\.?|purchase\s*order|order|bestellung|bestellnummer|commande)\s*"
        r"(no\.?|nr\.?|n°|number|#|:)?\s*",
        "",
        raw or "",
        flags=re.I,
    )
    text = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return text if re.search(r"\d", text) else ""


# Characters OCR and people confuse with a digit, folded to that digit in the key
# (O/Q/D for 0, I/L/| for 1, Z for 2, S for 5, G for 6, B for 8).
_OCR_TO_DIGIT = str.maketrans("OQDILZSGB", "000112568")


def invoice_number_parts(raw: str) -> tuple[str, str]:
    """(prefix, key) of an invoice number as duplicates are compared (matching.duplicates).

    The key ignores case, spaces and punctuation, a leading run of letters (a series or
    vendor prefix: "KFS-2026/0815" and "2026 0815"), leading zeros, and letters OCR takes
    for digits ("2O26-O815" is "2026-0815"); the prefix is that letter run, upper-case,
    kept so a caller can tell "RE-42" from "GS-42". A number without a digit keys as its
    letters. Both are "" for an empty number.
    """
    text = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    found = re.match(r"([A-Z]*)(.*)", text)
    prefix, rest = found.group(1), found.group(2)
    if not re.search(r"\d", rest):
        return "", text
    return prefix, rest.translate(_OCR_TO_DIGIT).lstrip("0") or "0"


def invoice_number_key(raw: str) -> str:
    """The indexed form of an invoice number (Invoice.normalised_number): see
    invoice_number_parts."""
    return invoice_number_parts(raw)[1][:64]
