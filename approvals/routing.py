"""Routing a matched invoice: approve it automatically, or send it to an approver.

The rule is deliberately plain and written into the audit event with its numbers:
automatic approval only for an invoice matched to a purchase order, in the company
currency, at or under AUTO_APPROVE_LIMIT. Everything else waits for a person.
"""

from django.conf import settings

from core.models import Invoice, Status

ACTOR = "system:routing"


def route_invoice(invoice: Invoice) -> None:
    limit = settings.AUTO_APPROVE_LIMIT
    company_currency = settings.COMPANY_CURRENCY
    inputs = {
        "total_amount": str(invoice.total_amount),
        "currency": invoice.currency,
        "auto_approve_limit": str(limit),
        "company_currency": company_currency,
        "purchase_order": invoice.purchase_order.number if invoice.purchase_order else None,
    }
    if invoice.purchase_order is None:
        reason = "Non-PO invoice: an approver codes and approves it"
    elif invoice.currency != company_currency:
        reason = f"Invoice in {invoice.currency}, not {company_currency}: needs an approver"
    elif invoice.total_amount is None or invoice.total_amount > limit:
        reason = (
            f"Total {invoice.total_amount} {invoice.currency} is above the automatic approval "
            f"limit of {limit} {company_currency}"
        )
    else:
        invoice.transition(
            Status.APPROVED,
            actor=ACTOR,
            reason=f"Matched to {invoice.purchase_order.number} and total "
            f"{invoice.total_amount} {invoice.currency} is within the automatic approval "
            f"limit of {limit} {company_currency}",
            inputs={**inputs, "rule": "auto_approve_matched_under_limit"},
        )
        return
    invoice.transition(
        Status.PENDING_APPROVAL, actor=ACTOR, reason=reason, inputs={**inputs, "rule": "human"}
    )
