"""Due dates from payment terms, where no due date is printed beside a label.

A sentence may name the date ("Zahlbar ohne Abzug bis zum 30.06.2026", "Please pay by 12
March 2026"), or only a number of days ("Zahlungsziel: 30 Tage netto", "Net 30", "Payment
within 30 days", "60 gg d.f."): then the due date is the invoice date plus those days, at
the end of that month where the terms say so ("60 gg d.f.f.m.", "30 days EOM").
"""

import calendar
import re
from datetime import date, timedelta

from extraction.amounts import Candidate
from extraction.layout import Line
from extraction.parsing import Conventions, parse_date

_DUE_TERMS = re.compile(
    r"\b(?:pay(?:able|ment)?|due|zahlbar|fällig|zahlung|régler|payer|paiement|betalen|"
    r"betaling|pagamento|pagare|pago|pagar)\b.*?"
    r"\b(?:by|before|until|on|bis(?:\s+(?:zum|spätestens))?|am|avant\s+le|le|voor|uiterlijk|"
    r"op|entro\s+il|antes\s+del?)\s+(.+)",
    re.IGNORECASE,
)
_DAYS = (
    r"(?:days?|tage?n?|jours?|dagen|dage|dagar|giorni|gg\.?|días|dias|päivää)"
    r"(?:\s+(?:net(?:to)?|rein|d\.?\s?f\.?|data\s+fattura|fecha\s+factura|from\s+invoice(?:\s+date)?))?"
)
# "net 30", "30 days", "30 Tage netto", "60 gg d.f.", "à 30 jours"
_TERM_DAYS = re.compile(
    rf"\b(?:net(?:to)?\s+(\d{{1,3}})(?![.,]?\d)(?:\s+{_DAYS})?|(\d{{1,3}})\s*{_DAYS})(?![\w%])",
    re.IGNORECASE,
)
_NET_DAYS = re.compile(
    rf"\bnet(?:to)?\s+(\d{{1,3}})(?![.,]?\d)\b|\b(\d{{1,3}})\s*{_DAYS}\s+net", re.I
)
# Words that make a number of days payment terms, not a billing period or a delivery time.
_TERMS = re.compile(
    r"\b(?:pay\w*|terms?|net|due|zahl\w*|fällig|netto|paiement|payable|règlement|régl\w*|"
    r"betal\w*|pagament\w*|pago|plazo|vencimiento|scadenza|condizioni|condiciones|"
    r"within|innerhalb|binnen|entro)\b|\bd\.\s?f\.",
    re.IGNORECASE,
)
# Early-payment discounts ("3 % Skonto bei Zahlung innerhalb von 7 Tagen") name other days.
_DISCOUNT = re.compile(r"skonto|discount|escompte|sconto|descuento|korting|%", re.IGNORECASE)
_MONTH_END = re.compile(r"f\.\s?m\.|fine\s+mese|\beom\b|end\s+of\s+(?:the\s+)?month", re.I)


def due_date_in_terms(lines: list[Line], conventions: Conventions) -> Candidate | None:
    for order, line in enumerate(lines):
        for segment in line.segments:
            terms = _DUE_TERMS.search(segment.text)
            value = terms and parse_date(terms.group(1), conventions)
            if value:
                return Candidate(value, 99, order, segment.page, segment.bbox)
    return None


def due_date_from_days(lines: list[Line], invoice_date: date) -> Candidate | None:
    """The invoice date plus the days the payment terms give."""
    for order, line in enumerate(lines):
        text = line.text
        if not _TERMS.search(text):
            continue
        pattern = _NET_DAYS if _DISCOUNT.search(text) else _TERM_DAYS
        found = pattern.search(text)
        if not found:
            continue
        days = int(found.group(1) or found.group(2))
        if not 0 < days <= 180:
            continue
        due = invoice_date + timedelta(days=days)
        if _MONTH_END.search(text):
            due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
        bbox = (line.words[0].x0, line.top, line.words[-1].x1, line.bottom)
        return Candidate(due, 99, order, line.page, bbox)
    return None
