"""The matching stage: load the facts, run the engine, record the outcome."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from core.models import Invoice, PurchaseOrder, Status
from core.money import cents
from matching.engine import (
    InvoiceFacts,
    PurchaseOrderFacts,
    Tolerance,
    match,
    normalise_po_number,
)

ACTOR = "system:matching"
# A rejected invoice may be sent again; one marked duplicate is the duplicate, not the original.
_NOT_ORIGINALS = (Status.REJECTED, Status.DUPLICATE)
_NOT_YET_MATCHED = (Status.RECEIVED, Status.EXTRACTED)


def low_confidence_fields(invoice: Invoice) -> dict[str, float]:
    """Fields read with less confidence than EXTRACTION_MIN_CONFIDENCE; values a clerk
    already corrected are certain."""
    minimum = settings.EXTRACTION_MIN_CONFIDENCE
    return {
        name: confidence
        for name, confidence in invoice.confidence.items()
        if confidence < minimum and getattr(invoice, name, None) not in (None, "")
    }


def global_tolerance() -> Tolerance:
    return Tolerance(settings.MATCH_TOTAL_TOLERANCE, settings.MATCH_TOTAL_TOLERANCE_PERCENT)


def find_purchase_order(po_number: str) -> PurchaseOrder | None:
    wanted = normalise_po_number(po_number)
    if not wanted:
        return None
    exact = PurchaseOrder.objects.filter(number=po_number.strip()).first()
    if exact:
        return exact
    # Numbers are few per vendor and short; compare in their normal form.
    digits = "".join(ch for ch in wanted if ch.isdigit())
    for po in PurchaseOrder.objects.filter(number__contains=digits[-4:]):
        if normalise_po_number(po.number) == wanted:
            return po
    return None


def purchase_order_facts(po: PurchaseOrder) -> PurchaseOrderFacts:
    lines = list(po.lines.prefetch_related("receipt_lines"))
    received = sum(
        (
            cents(sum((r.quantity for r in line.receipt_lines.all()), Decimal(0)) * line.unit_price)
            for line in lines
        ),
        Decimal(0),
    )
    return PurchaseOrderFacts(
        number=po.number,
        vendor_id=po.vendor_id,
        vendor_name=po.vendor.name,
        currency=po.currency,
        status=po.status,
        ordered_net=sum((line.net_amount for line in lines), Decimal(0)),
        received_net=received,
    )


def duplicates_of(invoice: Invoice) -> list[int]:
    """Other invoices with the same vendor and number that count as the original.

    The first one received is the original, so an original is never flagged by a copy that
    arrives after it: a later invoice counts only once matching has already passed it.
    Whatever order two workers run in, exactly one of two copies is flagged.
    """
    if not invoice.invoice_number:
        return []
    same = Invoice.objects.exclude(pk=invoice.pk).exclude(status__in=_NOT_ORIGINALS)
    same = same.filter(invoice_number__iexact=invoice.invoice_number)
    same = same.filter(Q(pk__lt=invoice.pk) | ~Q(status__in=_NOT_YET_MATCHED))
    if invoice.vendor_id:
        same = same.filter(vendor_id=invoice.vendor_id)
    else:
        same = same.filter(vendor_name__iexact=invoice.vendor_name)
    return sorted(same.values_list("pk", flat=True))


def match_invoice(invoice: Invoice) -> None:
    po = find_purchase_order(invoice.po_number)
    facts = InvoiceFacts(
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        currency=invoice.currency,
        net_amount=invoice.net_amount,
        tax_amount=invoice.tax_amount,
        total_amount=invoice.total_amount,
        po_number=invoice.po_number,
        vendor_id=invoice.vendor_id,
        vendor_name=invoice.vendor_name,
        document_type=invoice.document_type,
        vendor_vat_id=invoice.vendor_vat_id,
        vendor_iban=invoice.vendor_iban,
        low_confidence=low_confidence_fields(invoice),
    )
    po_facts = purchase_order_facts(po) if po else None
    tolerance = global_tolerance()
    result = match(facts, po_facts, duplicate_of=duplicates_of(invoice), tolerance=tolerance)
    inputs = {
        "po_number": invoice.po_number,
        "purchase_order": result.purchase_order,
        "ordered_net": str(po_facts.ordered_net) if po_facts else None,
        "received_net": str(po_facts.received_net) if po_facts else None,
        "invoice_net": str(invoice.net_amount) if invoice.net_amount is not None else None,
        "tolerance": tolerance.as_json(),
    }
    if result.clean:
        invoice.transition(
            Status.MATCHED,
            actor=ACTOR,
            reason=f"Matched to purchase order {result.purchase_order} within tolerance"
            if result.purchase_order
            else "Non-PO invoice: no purchase order to match; needs an approver",
            inputs=inputs,
            purchase_order=po if result.purchase_order else None,
        )
    else:
        invoice.send_to_review(
            [f.as_json() for f in result.findings],
            actor=ACTOR,
            reason="Matching found: " + ", ".join(result.codes),
            inputs=inputs,
            purchase_order=po if result.purchase_order else None,
        )
