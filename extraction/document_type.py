"""Whether a printed document (PDF text or scan) is an invoice or a credit note.

The document types are UNTDID 1001's, the code list EN 16931 uses for the invoice type code
(BT-3): 380 commercial invoice, 381 credit note, 383 debit note, 384 corrected invoice, 389
self-billed invoice. A credit note is recognised by the titles of 381 in the languages
extraction/labels.py reads ("Credit note", "Gutschrift", "Avoir", "Creditnota", "Nota di
credito", "Abono", "Kreditnota", "Hyvityslasku") and by those of 384 corrections, which on
paper nearly always reduce a bill ("Rechnungskorrektur", "Stornorechnung", "Factura
rectificativa", "Faktura korygująca", "Korekta"). A 383 debit note claims money as an
invoice does and is read as one. The German "Gutschrift" is in VAT law (§ 14 (2) UStG) a
self-billed invoice, 389; but self-billed invoices are issued by the buyer and do not arrive
in its AP mailbox, so one that arrives is a credit note, as suppliers use the word.

The title must be the title: a phrase of only that word near the top of page 1, or a phrase
that starts with it and goes on with a number label or a value ("Gutschrift-Nr. GS-42",
"Avoir A-12"); "a credit note will follow" in small print is not one. A negative total makes
any document a credit note.

Amounts stay as printed, as the XML readers leave them (extraction/readers/xml_invoice.py
keeps a UBL CreditNote's positive amounts and says "credit note" by its type only): a paper
credit note printed "119,00-" keeps its minus, one printed positive stays positive. Matching
takes the direction from the document type and the size from abs() (matching/engine.py:
`is_credit_note`), so both book the same credit.
"""

import re
from decimal import Decimal

from extraction.layout import Line

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
CREDIT_TITLE = (
    r"(?:gutschrift|rechnungskorrektur|korrekturrechnung|stornorechnung|"
    r"(?:facture\s+d')?avoir|credit\s*(?:note|memo)|creditnota|creditfactuur|"
    r"nota\s+(?:(?:di|de)\s+)?cr[eé]dito|abono|factura\s+rectificativa|kreditnota|"
    r"kreditfaktura|hyvityslasku|faktura\s+korygująca|korekta)(?:\s*\(\d{3}\))?"
)
# "GUTSCHRIFT", "Credit note / Gutschrift": the phrase is the title and nothing else.
_TITLE_ALONE = re.compile(rf"{CREDIT_TITLE}(?:\s*/\s*{CREDIT_TITLE})*[\s.:]*", re.IGNORECASE)
# "Gutschrift-Nr.: GS-42", "Avoir n° 12", "Credit Note # 5", "Gutschrift GS-2026-0042"
_TITLE_WITH_NUMBER = re.compile(
    rf"{CREDIT_TITLE}\s*-?\s*(?:(?:no|nr|nro|num|n[°º])\b\.?|number|nummer|numero|número|"
    r"numéro|#|[:#]?\s*\S*\d)",
    re.IGNORECASE,
)
# "Near the top": the first lines of page 1, where a title is printed.
_TOP_LINES = 15


def document_type(lines: list[Line], total: Decimal | None) -> str:
    """ "credit_note" when page 1 is titled as one or the total is negative, else "invoice".

    `lines` are the document's lines in reading order (extraction.layout.group_lines);
    `total` is the total amount as read, with its printed sign, or None.
    """
    if total is not None and total < 0:
        return CREDIT_NOTE
    first_page = [line for line in lines if line.page == 1]
    for index, line in enumerate(first_page):
        for segment in line.segments:
            text = " ".join(segment.text.split())
            if index < _TOP_LINES and _TITLE_ALONE.fullmatch(text):
                return CREDIT_NOTE
            if _TITLE_WITH_NUMBER.match(text):
                return CREDIT_NOTE
    return INVOICE
