"""The printed labels that announce a header field, in the languages of the invoices an AP
mailbox receives: English (UK, US, Australian), German, French, Dutch, Italian, Spanish and
Portuguese, with a few Nordic words.

Within a field, earlier labels are more specific and win over later ones ("Invoice Date"
over a bare "Date"). Across fields the longest label that matches wins, so "Total HT" is a
net amount and "Due date" is not an invoice date. Bilingual labels ("Factuurnummer /
Invoice number", "BTW / VAT 21%") are read half by half: each half may be the label.
"""

import re
from dataclasses import dataclass

_RATE = r"\(?\d{1,2}(?:[.,]\d{1,2})?\s*%\)?"
# Value added, goods and services and sales taxes by their printed names and abbreviations.
TAX_WORD = (
    r"(?:vat|tax|sales\s+tax|gst|hst|mwst\.?|ust\.?|tva|umsatzsteuer|mehrwertsteuer|btw|"
    r"iva|i\.v\.a\.|imposta|impuesto|moms|alv)"
)
_EXCL = (
    r"(?:excl\.?|exkl\.?|excluding|exclusive\s+of|ex\.?|before|hors|net\s+of|exclusief|"
    r"zonder|senza|sin|ohne)"
)
_INCL = r"(?:incl\.?|inkl\.?|including|inclusive\s+of|inc\.?|inclusief|incluso|con|ttc)"
# The titles of invoices and credit notes, as printed: "Handelsrechnung (380)" carries its
# UNTDID 1001 document type code in parentheses (see extraction/document_type.py).
TITLE = (
    r"(?:(?:(?:tax|commercial)\s+invoice|invoice|(?:handels|storno)?rechnung|"
    r"rechnungskorrektur|gutschrift|facture(?:\s+d'avoir)?|avoir|factuur|creditnota|fattura|"
    r"nota\s+(?:(?:di|de)\s+)?cr[eé]dito|factura(?:\s+rectificativa)?|abono|fatura|"
    r"faktura(?:\s+(?:vat|korygująca))?|korekta|kreditnota|lasku|hyvityslasku|"
    r"credit\s*(?:note|memo)|debit\s+note)(?:\s*\(\d{3}\))?)"
)
# Words for the document itself, and for "number", for "<document> no." in any language.
_DOCUMENT = rf"(?:{TITLE}|inv\.?|bill|rechnungs|gutschrifts|laskun)"
_NUMBER = r"(?:no\.?|n\s?[°º.o]\.?|nr\.?|nro\.?|num\.?|number|nummer|numero|número|numéro|#|id)"
# A title straight before a value holding a digit is that value's label ("Facture
# FA-2026-001", "Gutschrift GS-42"), though not before a date or a page count ("2/3").
_TITLE_BEFORE_VALUE = rf"{TITLE}(?=\s*[:#]?\s*(?!\d{{1,4}}(?:[./-]\d{{1,4}}){{1,2}}(?:\s|$))\S*\d)"
_TOTAL = r"(?:total|totaal|totale|gesamt|(?:rechnungs)?summe)"

LABELS = {
    "invoice_number": [
        rf"{_DOCUMENT}\s*-?\s*{_NUMBER}",
        r"(?:rechnungs|gutschrifts?|factuur|faktura|fattura)(?:nummer|nr\.?)",
        rf"(?:{_NUMBER}|numéro)\s*(?:de\s+(?:la\s+)?|della\s+|di\s+)?{_DOCUMENT}",
        r"(?:document|beleg|doc\.?)\s*-?\s*(?:no\.?|nr\.?|number|nummer)",
        _TITLE_BEFORE_VALUE,
    ],
    "invoice_date": [
        r"invoice\s+date",
        r"bill\s+date",
        r"date\s+of\s+(?:invoice|issue|bill)",
        r"(?:issue|issued|issuing)\s+(?:date|on)",
        r"rechnungsdatum",
        r"date\s+de\s+(?:la\s+)?facture",
        r"date\s+d'émission",
        r"factuurdatum",
        r"datum\s+factuur",
        r"data\s+(?:della\s+)?(?:fattura|documento|emissione)",
        r"fecha\s+(?:de\s+)?(?:la\s+)?(?:factura|emisión|expedición)",
        r"data\s+(?:da\s+)?(?:fatura|emissão)",
        r"(?:faktura|fakturerings)dat(?:o|um)",
        r"belegdatum",
        r"datum",
        r"date",
        r"fecha",
        r"data",
    ],
    "due_date": [
        r"due\s+date",
        r"payment\s+due(?:\s+(?:date|by|on))?",
        r"date\s+due",
        r"(?:pay|due)\s+by",
        r"fälligkeitsdatum",
        r"fällig(?:\s+am)?",
        r"zahlbar\s+bis(?:\s+zum)?",
        r"(?:date\s+d')?échéance",
        r"(?:vervaldatum|vervaldag|uiterste\s+betaaldatum)",
        r"(?:data\s+(?:di\s+)?)?scadenza",
        r"(?:fecha\s+de\s+)?vencimiento",
        r"(?:data\s+de\s+)?vencimento",
        r"(?:forfallsdato|förfallodatum|forfaldsdato|eräpäivä)",
        r"due",
    ],
    "po_number": [
        r"purchase\s+order(?:\s*(?:no\.?|number|#))?",
        r"p\.?\s?o\.?\s*(?:no\.?|number|#)?",
        r"(?:your\s+)?order\s*(?:no\.?|number|#|ref\.?|reference)",
        r"(?:ihre\s+)?bestell\s*-?\s*(?:nummer|nr\.?|ung(?:\s*nr\.?)?)",
        r"ihre\s+bestellung",
        r"(?:ihr\s+)?auftrags?\s*-?\s*(?:nummer|nr\.?)",
        r"bon\s+de\s+commande(?:\s*n[°o])?",
        r"(?:n[°o]\s*de\s*)?commande(?:\s*n[°o])?",
        r"(?:uw\s+)?(?:inkoop)?(?:order|bestel)\s*-?\s*(?:nummer|nr\.?|referentie)",
        r"(?:rif\.?\s*(?:vs\.?\s*)?|vs\.?\s*|numero\s+)?ordine(?:\s*n[°o.]?\.?)?",
        r"(?:n[°º.o]\.?\s*(?:de\s+)?|número\s+de\s+)?(?:pedido|orden\s+de\s+compra)(?:\s*n[°º.o]\.?)?",
    ],
    "net_amount": [
        r"sub\s*-?\s*total",
        r"net(?:\s+amount|\s+total|\s+value)?",
        r"total\s+net",
        # "Total excl. VAT", "Total charges (excluding VAT)", "Totaal excl. btw", "Total ex GST"
        rf"{_TOTAL}(?:\s+[^\W\d_]+)?\s+\(?{_EXCL}\s+(?:{TAX_WORD}|taxes?)\)?",
        rf"(?:amount|bedrag|importo|importe)\s+\(?{_EXCL}\s+(?:{TAX_WORD}|taxes?)\)?",
        r"(?:goods|merchandise)\s+(?:value|total)",
        r"value\s+of\s+goods",
        r"taxable\s+(?:amount|value)",
        r"nettobetrag",
        r"netto(?:summe|bedrag)?",
        r"summe\s+netto",
        r"zwischensumme",
        r"warenwert",
        r"total\s+ht",
        r"montant\s+ht",
        r"sous-total(?:\s+ht)?",
        r"subtotaal",
        r"(?:totale\s+)?imponibile",
        r"subtotale",
        r"totale\s+(?:netto|merce)",
        r"base\s+imponible",
        r"importe\s+neto",
        r"neto",
    ],
    "tax_amount": [
        # "VAT 20%", "zzgl. 19 % MwSt.", "GST (10%)", "VAT at 20% on 1,200.00", "VAT @ 23%"
        rf"(?:zzgl\.?\s+|plus\s+|\+\s*)?(?:{_RATE}\s*)?{TAX_WORD}(?:\s*(?:at|@)?\s*{_RATE})?",
        rf"{_TOTAL}\s+{TAX_WORD}",
        rf"{TAX_WORD}\s*-?\s*(?:amount|total|bedrag|importo|importe)",
        rf"(?:montant|bedrag|importo|importe|cuota|valor)\s+(?:de\s+(?:la\s+)?|dell'|del\s+)?{TAX_WORD}",
    ],
    "total_amount": [
        r"total\s+(?:due|amount|payable|to\s+pay)",
        r"grand\s+total",
        r"(?:amount|balance|total)\s+(?:now\s+)?(?:due|payable|to\s+pay)",
        r"(?:invoice|bill)\s+(?:total|amount|value)",
        r"total\s+(?:invoice|bill)\s+amount",
        # A utility bill's "Total charges this period"
        r"total\s+(?:current\s+)?charges(?:\s+(?:for\s+)?this\s+(?:period|bill|month))?",
        # "Total incl. VAT", and with the currency in between: "Total CHF inkl. MWST"
        rf"{_TOTAL}\s+(?:[a-z]{{3}}\s+)?\(?{_INCL}\.?\s+{TAX_WORD}\)?",
        r"gesamtbetrag",
        r"rechnungsbetrag",
        r"gesamtsumme",
        r"endbetrag",
        r"endsumme",
        r"zahlbetrag",
        r"brutto(?:betrag|summe)?",
        r"summe\s+brutto",
        r"zu\s+zahlen(?:der\s+betrag)?",
        r"total\s+ttc",
        r"montant\s+ttc",
        r"montant\s+total(?:\s+ttc)?",
        r"(?:net|total|montant)\s+à\s+payer",
        r"totaal\s*(?:bedrag|te\s+betalen)",
        r"factuurbedrag",
        r"te\s+betalen",
        r"totale\s+(?:documento|fattura|a\s+pagare|dovuto|da\s+pagare)",
        r"(?:netto|importo)\s+(?:a|da)\s+pagare",
        r"importo\s+totale",
        r"(?:total|importe)\s+(?:a\s+pagar|factura|de\s+la\s+factura)",
        r"importe\s+total",
        r"valor\s+total",
        r"totaal",
        r"totale",
        r"total",
    ],
}
# Labels that introduce the buyer's block: VAT ids and names under them are not the vendor's.
BUYER_LABELS = re.compile(
    r"^(?:bill(?:ed)?\s+to|invoice\s+to|sold\s+to|ship\s+to|deliver\s+to|customer|client|"
    r"buyer|invoice\s+address|rechnungsempfänger|rechnungsadresse|lieferadresse|kunde|"
    r"facturé\s+à|adresse\s+de\s+facturation|factuuradres|afnemer|klant|spett\.?\s*le|"
    r"cliente|destinatario|facturar\s+a)\b",
    re.IGNORECASE,
)
DOCUMENT_TITLES = re.compile(rf"^{TITLE}(?![^\W\d_])", re.IGNORECASE)
# Labels of what the header fields do not hold (currency, bank, contact, page), the
# headings of the parties' blocks (seller or buyer) and of the line items' columns: alone,
# or with a colon, such a phrase is a label and never a name.
_OTHER_LABELS = re.compile(
    r"(?:currency|währung|devise|valuta|moneda|divisa|moeda|iban|bic|swift(?:\s+code)?|bank|"
    r"account(?:\s+(?:name|no\.?|number))?|kontoname|kontonummer|konto|tel(?:ephone|efon)?\.?|"
    r"phone|fax|e-?mail|web(?:site)?|page|seite|page\s+\d+|seite\s+\d+|"
    r"seller|vendor|supplier|issuer|from|verkäufer|lieferant|aussteller|rechnungssteller|"
    r"fournisseur|vendeur|émetteur|proveedor|emisor|fornitore|leverancier|verkoper|myyjä|"
    r"dodavatel|sprzedawca|prodávající|buyer|customer|client|käufer|kunde|acheteur|"
    r"odběratel|nabywca|kupující|ostaja|asiakas|"
    r"items?|description|qty|quantity|beschreibung|bezeichnung|désignation|artikel|"
    r"position|pos\.?)",
    re.IGNORECASE,
)

_COMPILED = [
    (name, priority, re.compile(rf"^({label})\s*[:.]?(?=\s|$)\s*(?P<rest>.*)$"))
    for name, labels in LABELS.items()
    for priority, label in enumerate(labels)
]
_HALVES = re.compile(r"\s+/\s+")
# A preceding invoice's number or date (EN 16931 BT-25, BT-26, printed on credit notes and
# corrected invoices) is labelled as this invoice's, then a word says whose: "N° de facture
# associée", "Date de facture d'origine", "Invoice number (original)", "Rechnungsnummer
# ursprünglich". Such a label names a field of its own, "preceding_<field>".
_PRECEDING = re.compile(
    r"^\(?(?:associ[ée]+s?|pr[ée]c[ée]dente?s?|d'origine|initiale?s?|originale?s?|"
    r"rectifi[ée]+s?|corrig[ée]+s?|preceding|previous|related|referenced|"
    r"urspr[üu]nglich\w*|vorherig\w*|storniert\w*)\)?(?=\W|$)\s*[:.]?\s*",
    re.IGNORECASE,
)
PRECEDING_OF = ("invoice_number", "invoice_date")


@dataclass(frozen=True)
class LabelMatch:
    field: str
    priority: int  # 0 is the most specific label for the field
    length: int  # characters of the segment the label took
    rest: str  # text after the label in the same phrase, often the value itself


def match_label(text: str) -> LabelMatch | None:
    """The label at the start of a phrase. In a bilingual phrase ("Totaal / Total",
    "Factuurnummer / Invoice number: 42") any half may be the label, and a translation
    after it is part of the label, not its value."""
    collapsed = " ".join(text.split())
    found = _match(collapsed)
    if found is None:
        halves = _HALVES.split(collapsed)
        for start in range(1, len(halves)):
            # Only words stand before the half that matches: "Omschrijving / Description
            # 4 x / Total" is not a label.
            if any(re.search(r"\d", half) or len(half.split()) > 3 for half in halves[:start]):
                break
            found = _match(" / ".join(halves[start:]))
            if found:
                break
    if found and found.rest.startswith("/"):
        translated = _match(found.rest[1:].strip())
        if translated:
            return LabelMatch(found.field, found.priority, found.length, translated.rest)
    return found


def is_label_only(text: str) -> bool:
    """True for a phrase that is only a label, with no value: words ending in a colon
    ("Währung:", "Name :"), any field's label alone ("Currency", "Total", "Devise"), or a
    document title. Such a phrase is never a name."""
    collapsed = " ".join(text.split()).rstrip()
    if not collapsed or collapsed.endswith(":"):
        return bool(collapsed)
    found = match_label(collapsed)
    return bool(
        (found and not found.rest)
        or _OTHER_LABELS.fullmatch(collapsed.rstrip(" .:"))
        or DOCUMENT_TITLES.fullmatch(collapsed)
    )


def _match(collapsed: str) -> LabelMatch | None:
    normalized = collapsed.lower()
    best = None
    for name, priority, pattern in _COMPILED:
        found = pattern.match(normalized)
        if found and (best is None or found.end(1) > best.length):
            # The value keeps its case: invoice numbers are not lower-case.
            rest = collapsed[found.start("rest") :]
            best = LabelMatch(name, priority, found.end(1), rest)
    if best is not None and best.field in PRECEDING_OF:
        whose = _PRECEDING.match(best.rest)
        if whose:
            return LabelMatch(
                f"preceding_{best.field}",
                best.priority,
                best.length + whose.end(),
                best.rest[whose.end() :],
            )
    return best
