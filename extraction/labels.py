"""The printed labels that announce a header field, in English, German and French.

Within a field, earlier labels are more specific and win over later ones ("Invoice Date"
over a bare "Date"). Across fields the longest label that matches wins, so "Total HT" is a
net amount and "Due date" is not an invoice date.
"""

import re
from dataclasses import dataclass

_RATE = r"\(?\d{1,2}(?:[.,]\d{1,2})?\s*%\)?"
_TAX_WORD = r"(?:vat|tax|sales\s+tax|mwst\.?|ust\.?|tva|umsatzsteuer|mehrwertsteuer)"

LABELS = {
    "invoice_number": [
        r"invoice\s*(?:no\.?|number|num\.?|nr\.?|#|id)",
        r"inv\.?\s*(?:no\.?|#)",
        r"rechnungs?\s*-?\s*(?:nummer|nr\.?|no\.?)",
        r"facture\s*n[°o]\.?",
        r"(?:n[°o]|numéro)\s*de\s*facture",
    ],
    "invoice_date": [
        r"invoice\s+date",
        r"date\s+of\s+(?:invoice|issue)",
        r"issue\s+date",
        r"rechnungsdatum",
        r"date\s+de\s+(?:la\s+)?facture",
        r"date\s+d'émission",
        r"datum",
        r"date",
    ],
    "due_date": [
        r"due\s+date",
        r"payment\s+due(?:\s+date)?",
        r"date\s+due",
        r"fälligkeitsdatum",
        r"fällig(?:\s+am)?",
        r"zahlbar\s+bis(?:\s+zum)?",
        r"(?:date\s+d')?échéance",
        r"due",
    ],
    "po_number": [
        r"purchase\s+order(?:\s*(?:no\.?|number|#))?",
        r"p\.?\s?o\.?\s*(?:no\.?|number|#)?",
        r"(?:your\s+)?order\s*(?:no\.?|number|#|ref\.?|reference)",
        r"(?:ihre\s+)?bestell\s*-?\s*(?:nummer|nr\.?|ung(?:\s*nr\.?)?)",
        r"ihre\s+bestellung",
        r"bon\s+de\s+commande(?:\s*n[°o])?",
        r"(?:n[°o]\s*de\s*)?commande(?:\s*n[°o])?",
    ],
    "net_amount": [
        r"sub\s*-?\s*total",
        r"net(?:\s+amount|\s+total)?",
        r"total\s+net",
        rf"total\s+(?:excl\.?|exkl\.?|excluding|before|hors)\s+(?:{_TAX_WORD}|taxes?)",
        r"amount\s+(?:excl\.?|before)\s+(?:vat|tax)",
        r"nettobetrag",
        r"netto(?:summe)?",
        r"summe\s+netto",
        r"zwischensumme",
        r"total\s+ht",
        r"montant\s+ht",
        r"sous-total(?:\s+ht)?",
    ],
    "tax_amount": [
        rf"(?:zzgl\.?\s+|plus\s+|\+\s*)?(?:{_RATE}\s*)?{_TAX_WORD}(?:\s*{_RATE})?",
        rf"total\s+{_TAX_WORD}",
        rf"{_TAX_WORD}\s+(?:amount|total)",
        r"montant\s+tva",
    ],
    "total_amount": [
        r"total\s+(?:due|amount|payable)",
        r"grand\s+total",
        r"amount\s+due",
        r"balance\s+due",
        r"invoice\s+total",
        # "Total incl. VAT", and with the currency in between: "Total CHF inkl. MWST"
        rf"total\s+(?:[a-z]{{3}}\s+)?(?:incl\.?|inkl\.?|including)\s+{_TAX_WORD}",
        r"gesamtbetrag",
        r"rechnungsbetrag",
        r"gesamtsumme",
        r"endbetrag",
        r"brutto(?:betrag|summe)?",
        r"summe\s+brutto",
        r"zu\s+zahlen(?:der\s+betrag)?",
        r"total\s+ttc",
        r"montant\s+ttc",
        r"montant\s+total(?:\s+ttc)?",
        r"net\s+à\s+payer",
        r"total",
    ],
}
# Labels that introduce the buyer's block: VAT ids and names under them are not the vendor's.
BUYER_LABELS = re.compile(
    r"^(?:bill(?:ed)?\s+to|invoice\s+to|sold\s+to|ship\s+to|deliver\s+to|customer|client|"
    r"buyer|rechnungsempfänger|rechnungsadresse|lieferadresse|kunde|facturé\s+à|"
    r"adresse\s+de\s+facturation)\b",
    re.IGNORECASE,
)
DOCUMENT_TITLES = re.compile(
    r"^(?:tax\s+)?(?:invoice|rechnung|facture|credit\s+note|gutschrift|avoir)\b",
    re.IGNORECASE,
)

_COMPILED = [
    (name, priority, re.compile(rf"^({label})\s*[:.]?(?=\s|$)\s*(?P<rest>.*)$"))
    for name, labels in LABELS.items()
    for priority, label in enumerate(labels)
]


@dataclass(frozen=True)
class LabelMatch:
    field: str
    priority: int  # 0 is the most specific label for the field
    length: int  # characters of the segment the label took
    rest: str  # text after the label in the same phrase, often the value itself


def match_label(text: str) -> LabelMatch | None:
    collapsed = " ".join(text.split())
    normalized = collapsed.lower()
    best = None
    for name, priority, pattern in _COMPILED:
        found = pattern.match(normalized)
        if found and (best is None or found.end(1) > best.length):
            # The value keeps its case: invoice numbers are not lower-case.
            rest = collapsed[found.start("rest") :]
            best = LabelMatch(name, priority, found.end(1), rest)
    return best
