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
OCR_LETTERS = "OQDILZSGB"
_OCR_TO_DIGIT = str.maketrans(OCR_LETTERS, "000112568")


def fold_ocr_letters(text: str) -> str:
    """`text` (upper-case) with each letter OCR takes for a digit read as that digit."""
    return text.translate(_OCR_TO_DIGIT)


def invoice_number_groups(raw: str) -> tuple[str, list[str]]:
    """(prefix, groups) of an invoice number as typed: the leading letters (upper-case, a
    series or vendor prefix) and the rest in the groups its spaces and punctuation
    separate, upper-case and not folded ("KFS-2026/0815": "KFS", ["2026", "0815"]). A
    number without a digit after its prefix is all rest: ("", [its letters])."""
    text = re.sub(r"[^0-9A-Za-z]+", " ", raw or "").upper().strip()
    lead = re.match(r"[A-Z ]*", text).group(0)
    rest = text[len(lead) :]
    if not re.search(r"\d", rest):
        return "", [text.replace(" ", "")] if text else []
    return lead.replace(" ", ""), rest.split()


def invoice_number_parts(raw: str) -> tuple[str, str]:
    """(prefix, key) of an invoice number as duplicates are compared (matching.duplicates).

    The key ignores case, spaces and punctuation, a leading run of letters (a series or
    vendor prefix: "KFS-2026/0815" and "2026 0815"), leading zeros, and letters OCR takes
    for digits ("2O26-O815" is "2026-0815"); the prefix is that letter run, upper-case,
    kept so a caller can tell "RE-42" from "GS-42". A number without a digit keys as its
    letters. Both are "" for an empty number.
    """
    prefix, groups = invoice_number_groups(raw)
    if not prefix and len(groups) == 1 and not re.search(r"\d", groups[0]):
        return "", groups[0]
    if not groups:
        return "", ""
    return prefix, fold_ocr_letters("".join(groups)).lstrip("0") or "0"


def invoice_number_key(raw: str) -> str:
    """The indexed form of an invoice number (Invoice.normalised_number): see
    invoice_number_parts."""
    return invoice_number_parts(raw)[1][:64]
