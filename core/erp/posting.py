"""The posting stage: hand an approved invoice to the ERP connector and mark it posted."""

from approvals import trust
from audit import chain
from audit.models import AuditEvent
from core.erp.connectors import default_connector
from core.models import Invoice, Status

ACTOR = "system:posting"


def invoice_payload(invoice: Invoice) -> dict:
    """What the ERP books: header, vendor and PO references, lines, and who approved."""
    approval = AuditEvent.objects.for_invoice(invoice.pk).filter(action="invoice.approved").last()
    return {
        "schema": "ledgerline.invoice/1",
        "idempotency_key": idempotency_key(invoice),
        "invoice_id": invoice.pk,
        "invoice_number": invoice.invoice_number,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "net_amount": invoice.net_amount,
        "tax_amount": invoice.tax_amount,
        "total_amount": invoice.total_amount,
        "vendor": {
            "external_id": invoice.vendor.external_id if invoice.vendor else None,
            "name": invoice.vendor.name if invoice.vendor else invoice.vendor_name,
            "vat_id": invoice.vendor_vat_id,
            "iban": invoice.vendor_iban,
        },
        "purchase_order": invoice.purchase_order.number if invoice.purchase_order else None,
        "lines": [
            {
                "position": line.position,
                "item_code": line.item_code,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "tax_rate": line.tax_rate,
            }
            for line in invoice.lines.all()
        ],
        "approved_by": approval.actor if approval else None,
        "approval_reason": approval.payload.get("reason") if approval else None,
        "document_sha256": invoice.document.sha256,
    }


def idempotency_key(invoice: Invoice) -> str:
    return f"ledgerline-invoice-{invoice.pk}"


def post_invoice(invoice: Invoice, connector=None) -> None:
    connector = connector or default_connector()
    try:
        receipt = connector.post_invoice(
            invoice_payload(invoice), idempotency_key=idempotency_key(invoice)
        )
    except Exception as exc:
        # Audited, and the vendor steps down the trust ladder; the task retries.
        chain.record(
            "invoice.posting_failed",
            actor=ACTOR,
            invoice_id=invoice.pk,
            payload={"reason": f"{type(exc).__name__}: {exc}"[:500]},
        )
        trust.demote(
            invoice.vendor,
            actor=ACTOR,
            reason=f"Posting invoice {invoice} failed: {type(exc).__name__}",
            invoice_id=invoice.pk,
        )
        raise
    invoice.transition(
        Status.POSTED,
        actor=ACTOR,
        reason=f"Posted to the ERP: {receipt.reference}",
        inputs={
            "reference": receipt.reference,
            "sha256": receipt.sha256,
            "idempotency_key": idempotency_key(invoice),
        },
        erp_reference=receipt.reference,
    )
