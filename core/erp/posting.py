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
posting lacks (the vendor's ERP key, net, tax and total that add up, the currency, lines
with amounts that add up to the net). Approving such an invoice is refused (`write_posting`
raises NotPostable inside the approving transaction), and a posting found wanting at
delivery is refused without sending: the posting fails, and the invoice gets a
NOT_POSTABLE exception saying what is missing.
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
from core.erp.connectors import ConnectorError, ErpConnector, default_connector
from core.exception_codes import ExceptionCode
from core.models import Invoice, InvoiceException, OutboxMessage, Status

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


def invoice_payload(invoice: Invoice) -> dict:
    """What the ERP books: header, vendor and PO references, lines with their GL account
    and cost center (the clerk's coding, else the PO line's), tax, and who approved."""
    approval = AuditEvent.objects.for_invoice(invoice.pk).filter(action="invoice.approved").last()
    lines = []
    for line in invoice.lines.select_related("po_line"):
        po_line = line.po_line
        lines.append(
            {
                "position": line.position,
                "item_code": line.item_code,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "tax_rate": line.tax_rate,
                "gl_account": line.gl_account or (po_line.gl_account if po_line else ""),
                "cost_center": line.cost_center or (po_line.cost_center if po_line else ""),
                "po_line": po_line.line_no if po_line else None,
            }
        )
    return {
        "schema": "ledgerline.invoice/2",
        "idempotency_key": idempotency_key(invoice),
        "invoice_id": invoice.pk,
        "document_type": invoice.document_type,
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
        "lines": lines,
        "approved_by": approval.actor if approval else None,
        "approval_reason": approval.payload.get("reason") if approval else None,
        "document_sha256": invoice.document.sha256,
    }


def idempotency_key(invoice: Invoice) -> str:
    """The invoice and its version at approval: the ERP books each key once."""
    return f"ledgerline-invoice-{invoice.pk}-v{invoice.version}"


def posting_problems(payload: dict) -> list[str]:
    """What the ERP needs and `payload` (as `invoice_payload` makes it, JSON-ready or not)
    lacks, one sentence each; [] when it can be booked. The vendor's ERP key (external
    id), the currency, net, tax and total with net + tax = total within a cent, and any
    lines each with an amount, together the net within a cent per line."""
    problems = []
    vendor = payload.get("vendor") or {}
    if not vendor.get("external_id"):
        problems.append(
            f"The vendor {vendor.get('name') or '(no name)'!r} has no ERP key (external id) "
            "in the vendor master."
        )
    if not payload.get("currency"):
        problems.append("The currency is missing.")
    amounts = {name: _amount(payload.get(name)) for name in ("net_amount", "tax_amount",
                                                             "total_amount")}  # fmt: skip
    for name, value in amounts.items():
        if value is None:
            problems.append(f"The {name.replace('_', ' ')} is missing.")
    net, tax, total = amounts.values()
    if None not in (net, tax, total) and abs(net + tax - total) > CENT:
        problems.append(f"Net {net} plus tax {tax} is {net + tax}, not the total {total}.")
    lines = payload.get("lines") or []
    line_amounts = [_amount(line.get("amount")) for line in lines]
    missing = [
        str(line.get("position")) for line, a in zip(lines, line_amounts, strict=True) if a is None
    ]
    if missing:
        problems.append(f"Line(s) {', '.join(missing)} have no amount.")
    elif lines and net is not None:
        line_sum = sum(line_amounts, Decimal(0))
        if abs(line_sum - net) > CENT * max(len(lines), 1):
            problems.append(f"The lines add up to {line_sum}, not the net {net}.")
    return problems


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
