"""The extraction stage: a received invoice's document -> header fields, lines, vendor."""

import logging
from dataclasses import replace
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from core.identifiers import compact_identifier
from core.models import (
    Document,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
    InvoiceTaxSubtotal,
    Status,
)
from extraction.extract import extract_source
from extraction.learning import apply_hints, skip_learned_rows
from extraction.models import VendorProfile
from extraction.ocr import reporting_progress
from extraction.parties import PrintedIdentifier, printed_identifiers
from extraction.types import (
    HEADER_FIELDS,
    AllowanceCharge,
    ExtractedField,
    ExtractionResult,
    LineItem,
    OverLimit,
    Provenance,
    SourceFile,
    TaxSubtotal,
    UnreadableDocument,
)
from extraction.vendors import VendorMatch, recognise_vendor

log = logging.getLogger(__name__)
ACTOR = "system:extraction"


def extract_invoice(invoice: Invoice) -> None:
    """Read the invoice's document into its fields (-> extracted), or quarantine it (->
    needs_review with UNREADABLE): unreadable, over a limit, or a document whose reading
    killed the worker `invoice.crashed_runs` >= MAX_CRASHED_RUNS times (counted by
    `Invoice.objects.claim`: a reader that aborts the process raises nothing to catch here,
    so without this it would be queued again and kill the next worker, for ever)."""
    document = invoice.document
    if invoice.crashed_runs >= settings.MAX_CRASHED_RUNS:
        # Kept, not read again: reprocess once the reader is fixed (it counts from zero).
        _unreadable(
            invoice,
            OverLimit(
                f"Reading this document stopped the worker {invoice.crashed_runs} "
                f"time{pluralize(invoice.crashed_runs)} (MAX_CRASHED_RUNS is "
                f"{settings.MAX_CRASHED_RUNS}), so it is kept but not read again. Ask the "
                "sender for another copy (a PDF printed again, say), or reprocess it after "
                "the reader is fixed.",
                setting="MAX_CRASHED_RUNS",
                actual=invoice.crashed_runs,
                maximum=settings.MAX_CRASHED_RUNS,
            ),
        )
        return
    if document.size > settings.MAX_DOCUMENT_BYTES:
        # Kept, not read: an admin can raise the limit and reprocess it.
        _unreadable(
            invoice,
            OverLimit(
                f"The file is {document.size:,} bytes; files over "
                f"{settings.MAX_DOCUMENT_BYTES:,} bytes (MAX_DOCUMENT_BYTES) are kept but not "
                "read. Ask the sender for a smaller file, or raise the limit and reprocess.",
                setting="MAX_DOCUMENT_BYTES",
                actual=document.size,
                maximum=settings.MAX_DOCUMENT_BYTES,
            ),
        )
        return
    source = SourceFile(document.original_name, document.read_bytes(), document.content_type)
    try:
        with reporting_progress(_pages_read_of(document)):
            result = extract_source(source)
    except UnreadableDocument as exc:
        _unreadable(invoice, exc)
        return
    except Exception as exc:  # a reader bug must not leave the invoice stuck in "received"
        log.exception("reader failed on document %s", document.pk)
        _unreadable(
            invoice,
            UnreadableDocument(f"The document could not be read ({type(exc).__name__}: {exc})."),
        )
        return
    record_extraction(invoice, result)


def _pages_read_of(document: Document):
    """Writes OCR progress to the document as it goes: the invoice screens show it while a
    worker reads a long scan. Outside any transaction, so each page is seen at once.
    Page 0 of N also stamps when reading started, and N of N when it finished, which
    the estimate of the time left goes by (Document.ocr_seconds_left)."""

    def record(done: int, total: int) -> None:
        progress = {"pages_read": done, "pages_to_read": total}
        if done == 0:
            progress.update(ocr_started_at=timezone.now(), ocr_finished_at=None)
        if done >= total:
            progress["ocr_finished_at"] = timezone.now()
        Document.objects.filter(pk=document.pk).update(**progress)

    return record


def record_extraction(invoice: Invoice, result: ExtractionResult) -> None:
    """Store what was read (-> extracted): header fields, lines, and the rest of the EN
    16931 model the document states (type code, totals, periods, preceding invoice,
    allowances and charges, VAT breakdown) and the problems a person must be told about.
    Reading again replaces all of it."""
    match = recognise_vendor(name=result.value("vendor_name") or "", printed=_identifiers(result))
    if match.identifiers:
        _identity_from_master(result, match)
    profile = VendorProfile.objects.filter(vendor=match.vendor).first() if match.vendor else None
    learned = apply_hints(result, profile.hints) if profile else []
    if profile and skip_learned_rows(result, profile.hints):
        learned.append("lines")
    fields = _model_fields(Invoice, **{name: result.value(name) for name in HEADER_FIELDS})
    found = [name for name in HEADER_FIELDS if fields[name] not in ("", None)]
    with transaction.atomic():
        Document.objects.filter(pk=invoice.document_id).update(
            words=[[w.text, w.page, w.x0, w.top, w.x1, w.bottom] for w in result.words]
        )
        # Line allowances and charges go with their lines (on delete cascade).
        invoice.lines.all().delete()
        invoice.allowances_charges.all().delete()
        invoice.tax_breakdown.all().delete()
        lines = InvoiceLine.objects.bulk_create(
            _invoice_line(invoice, position, line)
            for position, line in enumerate(result.lines, start=1)
        )
        # Numbered from 1 on the document and on each line.
        stated = [(None, result.allowances_charges)] + [
            (stored, line.allowances_charges)
            for stored, line in zip(lines, result.lines, strict=True)
        ]
        allowances_charges = InvoiceAllowanceCharge.objects.bulk_create(
            row
            for line, items in stated
            for position, item in enumerate(items, start=1)
            if (row := _allowance_charge(invoice, line, position, item))
        )
        breakdown = InvoiceTaxSubtotal.objects.bulk_create(
            _tax_subtotal(invoice, row) for row in result.tax_breakdown
        )
        on_document = [row for row in allowances_charges if row.line is None]
        totals = result.totals
        invoice.transition(
            Status.EXTRACTED,
            actor=ACTOR,
            reason=f"Read {len(found)} of {len(HEADER_FIELDS)} fields and "
            f"{len(result.lines)} line{pluralize(len(result.lines))} as {result.format}",
            inputs={
                "format": result.format,
                "type_code": result.type_code,
                "document_kind": result.document_kind,
                "fields_found": found,
                "vendor_recognised_by": match.by,
                "learned_fields": learned,
                "vendor_id": match.vendor.pk if match.vendor else None,
                "lines_not_counted": sum(not line.counted for line in lines),
                "allowances": sum(not row.charge for row in on_document),
                "charges": sum(row.charge for row in on_document),
                "line_allowances_charges": len(allowances_charges) - len(on_document),
                "tax_breakdown_rows": len(breakdown),
                "problems": [problem.get("code") for problem in result.problems],
            },
            format=result.format,
            document_type=result.document_type,
            document_kind=result.document_kind,
            vendor=match.vendor,
            confidence={name: f.confidence for name, f in result.fields.items()},
            provenance={name: f.provenance.as_json() for name, f in result.fields.items()},
            **fields,
            **_model_fields(
                Invoice,
                type_code=result.type_code,
                line_total_amount=totals.line_total,
                allowance_total_amount=totals.allowance_total,
                charge_total_amount=totals.charge_total,
                prepaid_amount=totals.prepaid,
                rounding_amount=totals.rounding,
                amount_due=totals.amount_due,
                third_party_payment_amount=totals.third_party_payments,
                period_start=result.period_start,
                period_end=result.period_end,
                preceding_invoice_number=result.preceding_invoice_number,
                preceding_invoice_date=result.preceding_invoice_date,
            ),
            reading_problems=list(result.problems),
        )


def _invoice_line(invoice: Invoice, position: int, line: LineItem) -> InvoiceLine:
    return InvoiceLine(
        invoice=invoice,
        position=position,
        counted=line.counted,
        **_model_fields(
            InvoiceLine,
            item_code=line.item_code,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            tax_rate=line.tax_rate,
            tax_category=line.tax_category,
            line_id=line.line_id,
            parent_line_id=line.parent_line_id,
            line_status=line.status,
            period_start=line.period_start,
            period_end=line.period_end,
        ),
    )


def _allowance_charge(
    invoice: Invoice, line: InvoiceLine | None, position: int, item: AllowanceCharge
) -> InvoiceAllowanceCharge | None:
    """The row of one stated allowance or charge; None for one whose amount no real
    invoice has (the column cannot hold it, and it has nothing to add up to)."""
    values = _model_fields(
        InvoiceAllowanceCharge,
        amount=item.amount,
        base_amount=item.base_amount,
        percent=item.percent,
        reason=item.reason,
        reason_code=item.reason_code,
        tax_category=item.tax_category,
        tax_rate=item.tax_rate,
    )
    if values["amount"] is None:
        return None
    return InvoiceAllowanceCharge(
        invoice=invoice, line=line, position=position, charge=item.charge, **values
    )


def _tax_subtotal(invoice: Invoice, row: TaxSubtotal) -> InvoiceTaxSubtotal:
    return InvoiceTaxSubtotal(
        invoice=invoice,
        **_model_fields(
            InvoiceTaxSubtotal,
            category=row.category,
            rate=row.rate,
            taxable_amount=row.taxable_amount,
            tax_amount=row.tax_amount,
            exemption_reason=row.exemption_reason,
            exemption_reason_code=row.exemption_reason_code,
        ),
    )


def _identifiers(result: ExtractionResult) -> list[PrintedIdentifier]:
    """The VAT id and IBAN the extractor chose (where it found them), then every one
    printed on the pages: a vendor known by any of them is known."""
    chosen = []
    for kind in ("vat_id", "iban"):
        found = result.fields.get(f"vendor_{kind}")
        if found and found.value:
            value, where = compact_identifier(str(found.value)), found.provenance
            chosen.append(PrintedIdentifier(kind, value, where.page, where.bbox))
    return chosen + printed_identifiers(result.words)


def _identity_from_master(result: ExtractionResult, match: VendorMatch) -> None:
    """A vendor named by a printed VAT id or IBAN: its name as the master spells it, where
    the identifier stands, and the identifiers that named it, each sure (confidence 1.0).
    An IBAN the extractor read that differs from the master's stays: it may be where the
    money is asked to go, and the bank-details check (matching) must see it."""
    named_by = match.identifiers[match.by]
    result.fields["vendor_name"] = ExtractedField(
        match.vendor.name, 1.0, Provenance("master", named_by.page, named_by.bbox)
    )
    for kind, printed in match.identifiers.items():
        name = f"vendor_{kind}"
        found = result.fields.get(name)
        if found and compact_identifier(str(found.value)) == printed.value:
            result.fields[name] = replace(found, confidence=1.0)
        elif not found or not found.value or kind == "vat_id":
            where = Provenance("master", printed.page, printed.bbox)
            result.fields[name] = ExtractedField(printed.value, 1.0, where)


def _unreadable(invoice: Invoice, why: UnreadableDocument) -> None:
    """Quarantine: the invoice waits in review with an UNREADABLE exception whose message
    is `why`'s and whose details say which limit refused it, if one did (OverLimit)."""
    invoice.send_to_review(
        [{"code": "UNREADABLE", "message": str(why), "details": why.details()}],
        actor=ACTOR,
        reason="The document could not be read",
    )


def _model_fields(model, **values) -> dict:
    """`values` as `model`'s columns hold them, so hostile or garbled values cannot break
    the save: text trimmed to its column ("" for None), a number the column cannot hold
    (not finite, or more digits before the point than it has) dropped to None."""
    fitted = {}
    for name, value in values.items():
        column = model._meta.get_field(name)
        if isinstance(value, Decimal):
            whole_digits = column.max_digits - column.decimal_places
            if not value.is_finite() or abs(value) >= Decimal(10) ** whole_digits:
                value = None
        elif column.get_internal_type() == "CharField":
            value = (value or "")[: column.max_length]
        fitted[name] = value
    return fitted


def quarantined(invoices):
    """Those of `invoices` held in review because their document could not be read."""
    return invoices.filter(
        status=Status.NEEDS_REVIEW,
        exceptions__code="UNREADABLE",
        exceptions__resolved_at__isnull=True,
    ).distinct()


def reprocess(invoice: Invoice, *, actor) -> None:
    """Read a quarantined document again (after a fix: a raised limit, a better reader):
    its open UNREADABLE exception is resolved and the invoice goes back to received, its
    `crashed_runs` back to 0 (MAX_CRASHED_RUNS counts again from there).
    Only quarantined invoices: one in review for another reason keeps its clerk's work."""
    if not quarantined(Invoice.objects.filter(pk=invoice.pk)).exists():
        raise ValueError(f"Invoice {invoice.pk} is not waiting on an unreadable document")
    with transaction.atomic():
        invoice.exceptions.filter(code="UNREADABLE", resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=None if isinstance(actor, str) else actor
        )
        invoice.transition(
            Status.RECEIVED,
            actor=actor,
            reason="Reprocess: read the document again",
            crashed_runs=0,
        )
