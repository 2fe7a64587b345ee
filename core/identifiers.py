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
