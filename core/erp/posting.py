"""Posting approved invoices to the ERP through a transactional outbox.

Approving an invoice writes its posting (an OutboxMessage with the payload and an
idempotency key of invoice id and version) in the same transaction (`Invoice.transition`
calls `write_posting`). A worker delivers it through the configured connector: the
pipeline's posting stage right after approval, and a django-q2 schedule every minute for
retries, with exponential backoff up to ERP_MAX_ATTEMPTS. Never a double posting:
- a delivery claims the message first (compare-and-set with a lease), so two workers, or
  one task run twice, send it once;
- the key is sent with every attempt, and connectors book a key once;
- a worker that died after sending left the message claimed; once its lease runs out the
  next worker asks the ERP for the key (`find_posting`) before sending again.
Failures are audited and listed on the Outbox screen with retry and cancel; a failed
posting moves the vendor down the trust ladder.

Nothing reaches the ERP that it could not book (issue 16): `posting_problems` names what a
posting lacks (the vendor's ERP key, the currency, net, tax and total, and the sums of EN
16931 over what the ERP books: the counted lines, the document's allowances and charges).
Approving such an invoice is refused (`write_posting` raises NotPostable inside the
approving transaction), and a posting found wanting at delivery is refused without
sending: the posting fails, and the invoice gets a NOT_POSTABLE exception saying what is
missing.
"""

import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from approvals import trust
from audit import chain
from audit.models import AuditEvent
from core import business_rules
from core.erp.connectors import ConnectorError, ErpConnector, default_connector
from core.exception_codes import ExceptionCode
from core.models import (
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceException,
    OutboxMessage,
    Status,
)

ACTOR = "system:posting"
# A delivery's claim: long enough for the few ERP calls one delivery makes (each bounded by
# ERP_WEBHOOK_TIMEOUT, 10 s by default), short enough that a worker killed mid-delivery
# leaves the posting to the next run of the every-minute schedule within two minutes
# (issue 16: crash recovery under 2 minutes). Retaking it asks the ERP for the key first.
LEASE = timedelta(seconds=max(60.0, 6 * settings.ERP_WEBHOOK_TIMEOUT))
MAX_BACKOFF = timedelta(hours=6)
# Net plus tax against the total: a cent. Lines against the net: a cent per line (each
# line's amount is rounded on its own), and at least a cent.
CENT = Decimal("0.01")


class NotPostable(ValidationError):
    """The ERP could not book this invoice as it stands; `messages` say what is missing."""


SCHEMA = "ledgerline.invoice/3"


def invoice_payload(invoice: Invoice) -> dict:
    """What the ERP books: header, vendor and PO references, lines with their GL account
    and cost center (the clerk's coding, else the PO line's), tax, and who approved.

    Schema 3 (issue 17) adds the EN 16931 model as the document states it: the type code
    (BT-3), the document totals BT-106..BT-115 (None where not stated), the document's
    allowances and charges (BG-20/21), the VAT breakdown (BG-23), the invoicing period and
    the preceding invoice (BT-25/26); per line its VAT category, period, allowances and
    charges (BG-27/28), id, parent and status. `lines` are the lines the invoice's sums
    count, the ones the ERP books; the others (GROUP and INFORMATION lines, UBL sub-lines)
    are under `sub_lines`, for reference only: booking them would count amounts twice."""
    approval = AuditEvent.objects.for_invoice(invoice.pk).filter(action="invoice.approved").last()
    stated = list(invoice.allowances_charges.all())
    per_line: dict[int, list[dict]] = {}
    for item in stated:
        if item.line_id is not None:
            per_line.setdefault(item.line_id, []).append(_allowance_charge(item))
    lines, sub_lines = [], []
    for line in invoice.lines.select_related("po_line"):
        po_line = line.po_line
        (lines if line.counted else sub_lines).append(
            {
                "position": line.position,
                "line_id": line.line_id,
                "parent_line_id": line.parent_line_id,
                "status": line.line_status,
                "counted": line.counted,
                "item_code": line.item_code,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "tax_category": line.tax_category,
                "tax_rate": line.tax_rate,
                "period_start": line.period_start,
                "period_end": line.period_end,
                "allowances_charges": per_line.get(line.pk, []),
                "gl_account": line.gl_account or (po_line.gl_account if po_line else ""),
                "cost_center": line.cost_center or (po_line.cost_center if po_line else ""),
                "tax_code": line.tax_code,  # coded by a clerk (core.coding); "" when not
                "po_line": po_line.line_no if po_line else None,
            }
        )
    return {
        "schema": SCHEMA,
        "idempotency_key": idempotency_key(invoice),
        "invoice_id": invoice.pk,
        "document_type": invoice.document_type,
        "type_code": invoice.type_code,
        "invoice_number": invoice.invoice_number,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "net_amount": invoice.net_amount,
        "tax_amount": invoice.tax_amount,
        "total_amount": invoice.total_amount,
        "line_total_amount": invoice.line_total_amount,
        "allowance_total_amount": invoice.allowance_total_amount,
        "charge_total_amount": invoice.charge_total_amount,
        "prepaid_amount": invoice.prepaid_amount,
        "third_party_payment_amount": invoice.third_party_payment_amount,
        "rounding_amount": invoice.rounding_amount,
        "amount_due": invoice.amount_due,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "preceding_invoice": {
            "number": invoice.preceding_invoice_number,
            "date": invoice.preceding_invoice_date,
        },
        "vendor": {
            "external_id": invoice.vendor.external_id if invoice.vendor else None,
            "name": invoice.vendor.name if invoice.vendor else invoice.vendor_name,
            "vat_id": invoice.vendor_vat_id,
            "iban": invoice.vendor_iban,
        },
        "purchase_order": invoice.purchase_order.number if invoice.purchase_order else None,
        "lines": lines,
        "sub_lines": sub_lines,
        "allowances_charges": [_allowance_charge(item) for item in stated if item.line_id is None],
        "tax_breakdown": [
            {
                "category": row.category,
                "rate": row.rate,
                "taxable_amount": row.taxable_amount,
                "tax_amount": row.tax_amount,
                "exemption_reason": row.exemption_reason,
                "exemption_reason_code": row.exemption_reason_code,
            }
            for row in invoice.tax_breakdown.all()
        ],
        "approved_by": approval.actor if approval else None,
        "approval_reason": approval.payload.get("reason") if approval else None,
        "document_sha256": invoice.document.sha256,
    }


def _allowance_charge(item: InvoiceAllowanceCharge) -> dict:
    return {
        "charge": item.charge,
        "amount": item.amount,
        "base_amount": item.base_amount,
        "percent": item.percent,
        "reason": item.reason,
        "reason_code": item.reason_code,
        "tax_category": item.tax_category,
        "tax_rate": item.tax_rate,
    }


def idempotency_key(invoice: Invoice) -> str:
    """The invoice and its version at approval: the ERP books each key once."""
    return f"ledgerline-invoice-{invoice.pk}-v{invoice.version}"


def posting_problems(payload: dict) -> list[str]:
    """What the ERP needs and `payload` (as `invoice_payload` makes it, JSON-ready or not,
    any schema) lacks, one sentence each; [] when it can be booked: the vendor's ERP key
    (external id), the currency, net, tax and total, every booked line and allowance or
    charge with an amount, no line the invoice's sums leave out (a GROUP line) among those
    booked, and what the ERP books adding up as EN 16931 adds up the invoice: the same
    rules matching applies (core.business_rules BR-CO-10 to BR-CO-16, over the counted
    lines, the document's allowances and charges and the stated totals), here within a
    cent per rounded amount (each line is rounded on its own)."""
    problems = []
    vendor = payload.get("vendor") or {}
    if not vendor.get("external_id"):
        problems.append(
            f"The vendor {vendor.get('name') or '(no name)'!r} has no ERP key (external id) "
            "in the vendor master."
        )
    if not payload.get("currency"):
        problems.append("The currency is missing.")
    for name in ("net_amount", "tax_amount", "total_amount"):
        if _amount(payload.get(name)) is None:
            problems.append(f"The {name.replace('_', ' ')} is missing.")
    lines = payload.get("lines") or []
    booked_twice = [str(line.get("position")) for line in lines if line.get("counted") is False]
    if booked_twice:
        problems.append(
            f"Line(s) {', '.join(booked_twice)} are not counted in the invoice's sums (group "
            "or information lines) and must not be booked."
        )
    missing = [str(line.get("position")) for line in lines if _amount(line.get("amount")) is None]
    if missing:
        problems.append(f"Line(s) {', '.join(missing)} have no amount.")
    stated = payload.get("allowances_charges") or []
    if any(_amount(item.get("amount")) is None for item in stated):
        problems.append("A document allowance or charge has no amount.")
    if missing or any(_amount(item.get("amount")) is None for item in stated):
        return problems  # the sums cannot be checked without them
    amounts = business_rules.Amounts(
        currency=payload.get("currency") or "",
        lines=tuple(
            business_rules.Line(
                _amount(line.get("amount")),
                category=line.get("tax_category") or "",
                rate=_amount(line.get("tax_rate")),
            )
            for line in lines
        ),
        allowances_charges=tuple(
            business_rules.AllowanceCharge(
                _amount(item.get("amount")),
                charge=bool(item.get("charge")),
                category=item.get("tax_category") or "",
                rate=_amount(item.get("tax_rate")),
            )
            for item in stated
        ),
        **{term: _amount(payload.get(key)) for term, key in _TOTALS.items()},
    )
    rounded = len(lines) + len(stated)
    failures = business_rules.check(
        amounts, lines_tolerance=_cents(rounded), sums_tolerance=_cents(1 + len(stated))
    )
    return problems + [f.message for f in failures if f.rule in _BOOKED_SUMS]


# business_rules.Amounts' totals, by the payload's keys.
_TOTALS = {
    "line_total": "line_total_amount",
    "allowance_total": "allowance_total_amount",
    "charge_total": "charge_total_amount",
    "net": "net_amount",
    "tax": "tax_amount",
    "total": "total_amount",
    "prepaid": "prepaid_amount",
    "third_party": "third_party_payment_amount",
    "rounding": "rounding_amount",
    "amount_due": "amount_due",
}
# The rules on what the ERP books; the VAT breakdown rules are matching's (the payload's
# breakdown is the document's, booked as stated).
_BOOKED_SUMS = frozenset(f"BR-CO-{n}" for n in range(10, 17)) - {"BR-CO-14"} | {"BR-DEX-09"}


def _cents(count: int) -> Decimal:
    """A cent for each amount rounded on its own, and at least a cent."""
    return CENT * max(count, 1)


def _amount(value) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def write_posting(invoice: Invoice, *, checked: bool = True) -> OutboxMessage:
    """The posting of a just-approved invoice; called inside the approving transaction.
    Raises NotPostable (the approval is then rolled back) when the ERP could not book it;
    `checked` False writes it anyway, for `deliver` to refuse where everyone sees it."""
    payload = json.loads(json.dumps(invoice_payload(invoice), cls=DjangoJSONEncoder))
    problems = posting_problems(payload) if checked else []
    if problems:
        raise NotPostable(
            ["The ERP could not book this invoice, so it is not approved:", *problems]
        )
    return OutboxMessage.objects.create(
        invoice=invoice,
        idempotency_key=payload["idempotency_key"],
        connector=settings.ERP_CONNECTOR,
        payload=payload,
    )


def post_invoice(invoice: Invoice, connector: ErpConnector | None = None) -> None:
    """The pipeline's posting stage: deliver the invoice's posting now."""
    message = invoice.postings.exclude(state=OutboxMessage.State.CANCELLED).first()
    if message is None:  # approved before the outbox existed (deliver checks it)
        with transaction.atomic():
            message = write_posting(invoice, checked=False)
    deliver(message.pk, connector)


def deliver_due(connector: ErpConnector | None = None) -> int:
    """Every posting whose next attempt is due, and any left claimed by a dead worker."""
    now = timezone.now()
    due = OutboxMessage.objects.filter(
        Q(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
        | Q(state=OutboxMessage.State.SENDING, lease_until__lt=now)
    ).values_list("pk", flat=True)
    return sum(deliver(pk, connector) for pk in list(due))


def _claim(message_id: int) -> OutboxMessage | None:
    """Take the message for this worker (compare-and-set); None when another has it or it
    is not due."""
    now = timezone.now()
    taken = (
        OutboxMessage.objects.filter(pk=message_id)
        .filter(
            Q(state=OutboxMessage.State.PENDING, next_attempt_at__lte=now)
            | Q(state=OutboxMessage.State.SENDING, lease_until__lt=now)
        )
        .update(state=OutboxMessage.State.SENDING, lease_until=now + LEASE)
    )
    return OutboxMessage.objects.select_related("invoice").get(pk=message_id) if taken else None


def deliver(message_id: int, connector: ErpConnector | None = None) -> bool:
    """Send one posting; True when it is delivered by this call."""
    message = _claim(message_id)
    if message is None:
        return False
    problems = posting_problems(message.payload)
    if problems:  # written before these checks, or changed since: nothing is sent
        _refused(message, problems)
        return False
    connector = connector or default_connector()
    message.attempts += 1
    message.save(update_fields=["attempts"])
    try:
        # A retry first asks the ERP whether the key was booked already: the last worker
        # may have died, or timed out, after the ERP accepted it.
        receipt = connector.find_posting(message.idempotency_key) if message.attempts > 1 else None
        how = "found booked already (reconciled by idempotency key)" if receipt else "posted"
        if receipt is None:
            receipt = connector.post_invoice(
                message.payload, idempotency_key=message.idempotency_key
            )
    except ConnectorError as exc:
        _failed(message, exc)
        return False
    with transaction.atomic():
        message.state = OutboxMessage.State.DELIVERED
        message.document_number = receipt.document_number
        message.reference = receipt.reference
        message.delivered_at = timezone.now()
        message.last_error = ""
        message.lease_until = None
        message.save()
        message.invoice.transition(
            Status.POSTED,
            actor=ACTOR,
            reason=f"Posted to the ERP ({connector.name}) as {receipt.document_number}; {how}",
            inputs={
                "connector": connector.name,
                "document_number": receipt.document_number,
                "reference": receipt.reference,
                "sha256": receipt.sha256,
                "idempotency_key": message.idempotency_key,
                "attempts": message.attempts,
            },
            erp_reference=receipt.document_number,
        )
    return True


def _refused(message: OutboxMessage, problems: list[str]) -> None:
    """A posting the ERP could not book: failed at once (no retry sends the same again),
    and the invoice shows a NOT_POSTABLE exception with what is missing."""
    text = "Not sent: the ERP could not book it. " + " ".join(problems)
    with transaction.atomic():
        message.state = OutboxMessage.State.FAILED
        message.last_error = text[:2000]
        message.lease_until = None
        message.save()
        open_finding = InvoiceException.objects.filter(
            invoice_id=message.invoice_id, code=ExceptionCode.NOT_POSTABLE, resolved_at=None
        )
        if not open_finding.exists():  # a retry of the same posting says it once
            InvoiceException.objects.create(
                invoice_id=message.invoice_id,
                code=ExceptionCode.NOT_POSTABLE,
                message=text,
                details={"problems": problems, "idempotency_key": message.idempotency_key},
            )
        chain.record(
            "invoice.posting_failed",
            actor=ACTOR,
            invoice_id=message.invoice_id,
            payload={
                "reason": text[:500],
                "code": ExceptionCode.NOT_POSTABLE,
                "problems": problems,
                "attempt": message.attempts,
                "retryable": False,
                "next_attempt_at": None,
                "gave_up": True,
                "idempotency_key": message.idempotency_key,
            },
        )


def _failed(message: OutboxMessage, exc: ConnectorError) -> None:
    give_up = not exc.retryable or message.attempts >= settings.ERP_MAX_ATTEMPTS
    wait = min(
        timedelta(seconds=settings.ERP_RETRY_SECONDS) * 2 ** (message.attempts - 1), MAX_BACKOFF
    )
    with transaction.atomic():
        message.state = OutboxMessage.State.FAILED if give_up else OutboxMessage.State.PENDING
        message.next_attempt_at = timezone.now() + wait
        message.last_error = str(exc)[:2000]
        message.lease_until = None
        message.save()
        chain.record(
            "invoice.posting_failed",
            actor=ACTOR,
            invoice_id=message.invoice_id,
            payload={
                "reason": f"{exc}"[:500],
                "attempt": message.attempts,
                "retryable": exc.retryable,
                "next_attempt_at": None if give_up else message.next_attempt_at.isoformat(),
                "gave_up": give_up,
                "idempotency_key": message.idempotency_key,
            },
        )
        # Audited, and the vendor steps down the trust ladder (once per invoice).
        trust.demote(
            message.invoice.vendor,
            actor=ACTOR,
            reason=f"Posting invoice {message.invoice} failed: {exc}"[:300],
            invoice_id=message.invoice_id,
        )


def retry(message: OutboxMessage, user) -> None:
    """A person sends a failed posting again (after fixing what the ERP refused)."""
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, state=OutboxMessage.State.FAILED
        ).update(state=OutboxMessage.State.PENDING, next_attempt_at=timezone.now())
        if updated:
            chain.record(
                "invoice.posting_retried",
                actor=user.get_username(),
                invoice_id=message.invoice_id,
                payload={"idempotency_key": message.idempotency_key},
            )


def cancel(message: OutboxMessage, user, reason: str) -> None:
    """A person stops a posting (booked in the ERP by hand, say); said why, audited."""
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, state__in=[OutboxMessage.State.FAILED, OutboxMessage.State.PENDING]
        ).update(state=OutboxMessage.State.CANCELLED, lease_until=None)
        if updated:
            chain.record(
                "invoice.posting_cancelled",
                actor=user.get_username(),
                invoice_id=message.invoice_id,
                payload={"idempotency_key": message.idempotency_key, "reason": reason},
            )


def record_payment(invoice: Invoice, *, actor: str, source: dict) -> bool:
    """The ERP paid a posted invoice: it becomes paid (once; False when it was already)."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status == Status.PAID:
            return False
        locked.transition(
            Status.PAID,
            actor=actor,
            reason=f"Paid, as the ERP reports ({source.get('reference') or 'no reference'})",
            inputs=source,
        )
    invoice.refresh_from_db()
    return True


def poll_payments(connector: ErpConnector | None = None) -> int:
    """Ask the ERP about every posted invoice's payment (connectors that can tell)."""
    connector = connector or default_connector()
    paid = 0
    posted = OutboxMessage.objects.filter(
        state=OutboxMessage.State.DELIVERED, invoice__status=Status.POSTED
    ).select_related("invoice")
    for message in posted:
        try:
            state = connector.payment_status(message.document_number)
        except ConnectorError:
            continue  # asked again at the next poll
        if state == "paid":
            paid += record_payment(
                message.invoice,
                actor=f"erp:{connector.name}",
                source={"document_number": message.document_number, "how": "polled"},
            )
    return paid
