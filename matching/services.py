"""The matching stage: load the facts, run the engine, record the outcome.

The database side loads an invoice's candidates in a fixed number of queries, whatever the
size of the order book: the invoice with its lines, document-level allowances and charges
and VAT breakdown (one query each; a corrected invoice one more for the invoice it
corrects), the purchase orders by normalised number (one query, with their
vendor), their lines with the quantity received and the quantity earlier invoices billed
(one query, both as aggregates), the tolerance rules for the vendor (one), and possible
duplicates (two). A PO found by vendor and amount costs two more.

Receipts (till slips, `Invoice.document_kind` "receipt", extraction.receipts) are non-PO
expenses paid at the till: no purchase order is looked for by vendor and amount, and a
clean one goes on to an approver with a reason that says it is a receipt.

Invoices without a purchase order (receipts too) are booked on the GL accounts and cost
centers a clerk codes per line: until each counted line is coded, matching raises NOT_CODED
(matching.engine, core.coding), and the coded invoice is matched again.

Master data is read afresh on every run: the purchase orders, their goods receipts and the
tolerance rules above, and the vendor: an invoice whose vendor was not in the vendor
master when it was read is looked up again (`recognise_vendor_again`, the resolver
extraction uses), so "Match again" after an admin added the vendor clears VENDOR_UNKNOWN.
A vendor already set (recognised, or linked by a person) is kept.

Waiting for goods: an invoice held only by NOT_RECEIVED is matched again when a goods
receipt for its purchase order arrives (`rematch_waiting_for`), and goes on by itself if it
now matches.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import exception_codes
from core.document_types import Kind, document_type
from core.identifiers import normalise_po_number
from core.models import (
    Document,
    Invoice,
    InvoiceException,
    InvoiceLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Status,
    VendorRequest,
)
from extraction.layout import Word
from extraction.parties import printed_identifiers
from extraction.vendors import VendorMatch, recognise_vendor
from matching.duplicates import duplicate_findings, find_duplicates
from matching.engine import (
    AllowanceCharge,
    EarlierInvoice,
    InvoiceFacts,
    LineFacts,
    POLineFacts,
    PurchaseOrderFacts,
    ToleranceRule,
    Tolerances,
    VatBreakdown,
    match,
    po_by_amount,
    po_numbers,
)
from matching.models import MatchRun
from matching.models import ToleranceRule as ToleranceRuleModel

log = logging.getLogger(__name__)
ACTOR = "system:matching"
# Invoices whose lines count as billed: matching accepted them (or a person did).
BILLED = (Status.MATCHED, Status.PENDING_APPROVAL, Status.APPROVED, Status.POSTED, Status.PAID)
_QTY = DecimalField(max_digits=18, decimal_places=4)
NON_PO_RECEIPT = (
    "Receipt (till slip): a non-PO expense paid at the till; no purchase order to match; "
    "lines coded; needs an approver"
)
# What `invoice_facts` reads beside the invoice: one query each, however many rows.
FACTS_PREFETCH = ("lines", "allowances_charges", "tax_breakdown")


def low_confidence_fields(invoice: Invoice) -> dict[str, float]:
    """Fields read with less confidence than EXTRACTION_MIN_CONFIDENCE; values a clerk
    already corrected are certain. The master data vouches for two more: a vendor name
    that named a vendor in the master (by VAT id, IBAN or a name at least
    NAME_MATCH_MIN_SCORE alike: the vendor paid is the master's, not the name read), and an
    order number that names a purchase order of that vendor."""
    minimum = settings.EXTRACTION_MIN_CONFIDENCE
    unsure = {
        name: confidence
        for name, confidence in invoice.confidence.items()
        if confidence < minimum and getattr(invoice, name, None) not in (None, "")
    }
    if invoice.vendor_id is not None:
        unsure.pop("vendor_name", None)
    if "po_number" in unsure and _names_vendors_order(invoice):
        del unsure["po_number"]
    return unsure


def _names_vendors_order(invoice: Invoice) -> bool:
    number = normalise_po_number(invoice.po_number) or invoice.po_number.upper()
    return PurchaseOrder.objects.filter(
        vendor_id=invoice.vendor_id, normalised_number=number
    ).exists()


def tolerances_for(vendor_id: int | None) -> Tolerances:
    """The rules that may apply to this vendor's invoices; without a stored global rule,
    the one from settings (MATCH_TOTAL_TOLERANCE, MATCH_TOTAL_TOLERANCE_PERCENT), v0."""
    rules = [
        rule.facts()
        for rule in ToleranceRuleModel.objects.filter(
            Q(vendor__isnull=True) | Q(vendor_id=vendor_id)
        )
    ]
    if not any(rule.scope == "global" for rule in rules):
        rules.append(
            ToleranceRule(
                id=None,
                version=0,
                scope="global",
                price_percent=settings.MATCH_TOTAL_TOLERANCE_PERCENT,
                total_absolute=settings.MATCH_TOTAL_TOLERANCE,
            )
        )
    return Tolerances(tuple(rules))


def purchase_orders(
    numbers: list[str] | None = None, *, ids=None, exclude_invoice: int | None = None
) -> list[PurchaseOrderFacts]:
    """Purchase orders by normalised number (or id) with their lines, received and billed
    quantities: two queries however many orders and lines."""
    orders = PurchaseOrder.objects.select_related("vendor")
    orders = (
        orders.filter(normalised_number__in=numbers) if ids is None else orders.filter(pk__in=ids)
    )
    orders = list(orders)
    if not orders:
        return []
    billed = (
        InvoiceLine.objects.filter(po_line=OuterRef("pk"), invoice__status__in=BILLED)
        .exclude(invoice_id=exclude_invoice)
        .values("po_line")
        .annotate(quantity_billed=Sum("quantity"))
    )
    # Credit notes give back what they credit.
    billed_invoices = billed.exclude(invoice__document_type="credit_note").values("quantity_billed")
    credited = billed.filter(invoice__document_type="credit_note").values("quantity_billed")
    lines = (
        PurchaseOrderLine.objects.filter(purchase_order__in=orders)
        .annotate(
            received_qty=Coalesce(
                Sum("receipt_lines__quantity"), Value(Decimal(0)), output_field=_QTY
            ),
            billed_qty=Coalesce(Subquery(billed_invoices, output_field=_QTY), Value(Decimal(0))),
            credited_qty=Coalesce(Subquery(credited, output_field=_QTY), Value(Decimal(0))),
        )
        .order_by("purchase_order_id", "line_no")
    )
    by_order: dict[int, list[POLineFacts]] = {}
    numbers_by_id = {order.pk: order.number for order in orders}
    for line in lines:
        by_order.setdefault(line.purchase_order_id, []).append(
            POLineFacts(
                id=line.pk,
                po_number=numbers_by_id[line.purchase_order_id],
                line_no=line.line_no,
                description=line.description,
                ordered=line.quantity,
                unit_price=line.unit_price,
                item_code=line.item_code,
                category=line.category,
                tax_rate=line.tax_rate,
                received=line.received_qty,
                billed=line.billed_qty - abs(line.credited_qty),
            )
        )
    return [
        PurchaseOrderFacts(
            number=order.number,
            vendor_id=order.vendor_id,
            vendor_name=order.vendor.name,
            currency=order.currency,
            status=order.status,
            lines=tuple(by_order.get(order.pk, ())),
            three_way=(order.match_mode or order.vendor.match_mode) == "three_way",
            id=order.pk,
        )
        for order in orders
    ]


def invoice_facts(invoice: Invoice) -> InvoiceFacts:
    """The engine's facts of an invoice loaded with FACTS_PREFETCH (and its vendor)."""
    return InvoiceFacts(
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
        vendor_iban_on_file=invoice.vendor.iban if invoice.vendor else "",
        low_confidence=low_confidence_fields(invoice),
        lines=tuple(
            LineFacts(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
                item_code=line.item_code,
                tax_rate=line.tax_rate,
                tax_category=line.tax_category,
                counted=line.counted,
                gl_account=line.gl_account,
                cost_center=line.cost_center,
            )
            for line in invoice.lines.all()
        ),
        format=invoice.format,
        type_code=invoice.type_code,
        line_total_amount=invoice.line_total_amount,
        allowance_total_amount=invoice.allowance_total_amount,
        charge_total_amount=invoice.charge_total_amount,
        prepaid_amount=invoice.prepaid_amount,
        third_party_payment_amount=invoice.third_party_payment_amount,
        rounding_amount=invoice.rounding_amount,
        amount_due=invoice.amount_due,
        allowances_charges=tuple(
            AllowanceCharge(item.amount, item.charge, item.tax_category, item.tax_rate, item.reason)
            for item in invoice.allowances_charges.all()
            if item.line_id is None  # a line's own are in its amount (BT-131)
        ),
        tax_breakdown=tuple(
            VatBreakdown(row.category, row.rate, row.taxable_amount, row.tax_amount)
            for row in invoice.tax_breakdown.all()
        ),
        preceding_invoice_number=invoice.preceding_invoice_number,
        preceding_invoice_date=invoice.preceding_invoice_date,
        preceding_invoices=tuple(preceding_invoices(invoice)),
        reading_problems=tuple(invoice.reading_problems or ()),
    )


def preceding_invoices(invoice: Invoice) -> list[EarlierInvoice]:
    """For a corrected invoice (384): the vendor's invoices with the number it says it
    corrects (BT-25), compared as duplicates are (the indexed normalised number); those of
    the stated date (BT-26) where that narrows it. No query for any other invoice."""
    if document_type(invoice.type_code).kind != Kind.CORRECTED:
        return []
    rows = (
        Invoice.objects.preceding(invoice)
        .order_by("pk")
        .values_list("pk", "invoice_number", "invoice_date", "status")[:10]
    )
    found = [EarlierInvoice(*row) for row in rows]
    day = invoice.preceding_invoice_date
    same_day = [earlier for earlier in found if day and earlier.invoice_date == day]
    return same_day or found


def match_invoice(invoice: Invoice) -> None:
    invoice = (
        Invoice.objects.select_related("vendor")
        .prefetch_related(*FACTS_PREFETCH)
        .get(pk=invoice.pk)
    )
    recognised = recognise_vendor_again(invoice) if invoice.vendor_id is None else None
    if recognised and recognised.vendor:
        invoice.vendor = recognised.vendor
    facts = invoice_facts(invoice)
    tolerances = tolerances_for(invoice.vendor_id)
    numbers = po_numbers(invoice.po_number)
    pos = purchase_orders(numbers, exclude_invoice=invoice.pk) if numbers else []
    found_by = "number" if numbers else ""
    receipt = invoice.document_kind == Kind.RECEIPT
    if not numbers and not receipt and invoice.vendor_id and invoice.document_type == "invoice":
        open_ids = list(
            PurchaseOrder.objects.filter(vendor_id=invoice.vendor_id, status="open").values_list(
                "pk", flat=True
            )[:50]
        )
        candidates = purchase_orders(ids=open_ids, exclude_invoice=invoice.pk) if open_ids else []
        found = po_by_amount(facts, candidates, tolerances)
        if found:
            pos, found_by = [found], "vendor and amount"
    duplicates = duplicate_findings(
        invoice.invoice_number, invoice.currency, invoice.total_amount, find_duplicates(invoice)
    )
    result = match(facts, pos, duplicates=duplicates, tolerances=tolerances, found_by=found_by)
    record(invoice, result, pos, found_by, vendor_recognised=recognised)


def recognise_vendor_again(invoice: Invoice) -> VendorMatch:
    """The invoice's vendor as the vendor master knows it now: the resolver extraction
    uses (extraction.vendors.recognise_vendor), given what the invoice says (VAT id BT-31,
    IBAN BT-84, name BT-27, as read or corrected) and every identifier printed on its
    pages (Document.words). One query for the words and the resolver's own (two or
    three); VendorMatch(None, "") when the master still has no such vendor."""
    stored = Document.objects.values_list("words", flat=True).get(pk=invoice.document_id)
    words = [Word(*word) for word in stored or ()]
    return recognise_vendor(
        vat_id=invoice.vendor_vat_id,
        iban=invoice.vendor_iban,
        name=invoice.vendor_name,
        printed=printed_identifiers(words),
    )


def record(
    invoice: Invoice,
    result,
    pos: list[PurchaseOrderFacts],
    found_by: str,
    *,
    vendor_recognised: VendorMatch | None = None,
) -> None:
    """Store the match (run, line links) and move the invoice on, in one transaction.
    `vendor_recognised`: the vendor this run found in the master for an invoice that had
    none (recognise_vendor_again); it is saved with the move and named in its audit event,
    and the invoice's open vendor requests (core.vendors) are closed as done."""
    # The invoice points at the first order it matched (all of them are in the run).
    first_po = pos[0].id if pos else None
    inputs = {
        "purchase_orders": result.purchase_orders,
        "found_by": found_by,
        "line_matches": [m.as_json() for m in result.line_matches],
        "tolerances": [rule.as_json() for rule in result.tolerances],
        "ordered_net": str(sum((po.ordered_net for po in pos), Decimal(0))) if pos else None,
        "received_net": str(sum((po.received_net for po in pos), Decimal(0))) if pos else None,
        "invoice_net": str(invoice.net_amount) if invoice.net_amount is not None else None,
        "document_kind": invoice.document_kind,
    }
    # A vendor found in the master on this run is stored with the move, and said so.
    found_vendor = {}
    if vendor_recognised and vendor_recognised.vendor:
        found_vendor = {"vendor": vendor_recognised.vendor}
        inputs["vendor_recognised_by"] = vendor_recognised.by
        inputs["vendor_id"] = vendor_recognised.vendor.pk
        # A clerk's request for this vendor (core.vendors) is done: the master has it now.
        requests = list(invoice.vendor_requests.open().values_list("pk", flat=True))
        if requests:
            inputs["vendor_requests_closed"] = requests
    receipt = invoice.document_kind == Kind.RECEIPT
    with transaction.atomic():
        if inputs.get("vendor_requests_closed"):
            VendorRequest.objects.filter(
                pk__in=inputs["vendor_requests_closed"], state=VendorRequest.State.OPEN
            ).update(
                state=VendorRequest.State.DONE,
                vendor=vendor_recognised.vendor,
                resolved_at=timezone.now(),
            )
        MatchRun.objects.create(
            invoice=invoice,
            purchase_orders=result.purchase_orders,
            found_by=found_by,
            line_matches=inputs["line_matches"],
            tolerances=inputs["tolerances"],
            findings=[f.as_json() for f in result.findings],
            clean=result.clean,
        )
        paired = {m.position: m.po_line_id for m in result.line_matches}
        lines = list(invoice.lines.all())
        for line in lines:
            line.po_line_id = paired.get(line.position)
        InvoiceLine.objects.bulk_update(lines, ["po_line"])
        if result.clean:
            orders = " and ".join(result.purchase_orders)
            how = " (found by vendor and amount)" if found_by == "vendor and amount" else ""
            invoice.transition(
                Status.MATCHED,
                actor=ACTOR,
                reason=f"Matched to purchase order {orders}{how} within tolerance"
                if result.purchase_orders
                else NON_PO_RECEIPT
                if receipt
                else "Non-PO invoice: no purchase order to match; lines coded; needs an approver",
                inputs=inputs,
                purchase_order_id=first_po,
                **found_vendor,
            )
        else:
            invoice.send_to_review(
                [f.as_json() for f in result.findings],
                actor=ACTOR,
                reason=(
                    "Receipt (non-PO expense): matching found: " if receipt else "Matching found: "
                )
                + exception_codes.labels(result.codes),
                inputs=inputs,
                purchase_order_id=first_po,
                **found_vendor,
            )


def rematch_waiting_for(purchase_order_ids) -> list[int]:
    """Invoices held only by NOT_RECEIVED on these purchase orders go back to matching
    (a goods receipt arrived); returns their ids, queued for the pipeline."""
    from core.tasks import enqueue_invoice

    other_open = InvoiceException.objects.filter(
        invoice=OuterRef("pk"), resolved_at__isnull=True
    ).exclude(code="NOT_RECEIVED")
    waiting = (
        Invoice.objects.filter(
            status=Status.NEEDS_REVIEW,
            purchase_order_id__in=purchase_order_ids,
            exceptions__code="NOT_RECEIVED",
            exceptions__resolved_at__isnull=True,
        )
        .exclude(Exists(other_open))
        .distinct()
    )
    moved = []
    for invoice in waiting:
        with transaction.atomic():
            invoice.exceptions.filter(code="NOT_RECEIVED", resolved_at__isnull=True).update(
                resolved_at=timezone.now()
            )
            invoice.transition(
                Status.EXTRACTED,
                actor=ACTOR,
                reason="A goods receipt arrived for its purchase order: matching again",
            )
        enqueue_invoice(invoice.pk)
        moved.append(invoice.pk)
    return moved
