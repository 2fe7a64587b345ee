"""Routing a matched invoice: straight through, proposed to a clerk, or to an approval
chain, as the approval policy (approvals.policy) and the vendor's automation level say.

The audit event of the move names the rule and its version, the amount in the company
currency, the automation level, and the sentence that decided it.
"""

from approvals import chains
from core.erp.posting import NotPostable
from core.exception_codes import ExceptionCode
from core.models import Invoice, Status

ACTOR = chains.ACTOR


def route_invoice(invoice: Invoice) -> None:
    outcome = chains.plan(invoice, straight_through_possible=True)
    if outcome.kind == "auto":
        try:
            invoice.transition(
                Status.APPROVED,
                actor=ACTOR,
                reason=f"Approved without a person: {outcome.reason} (rule {outcome.rule.label})",
                inputs={
                    **outcome.inputs,
                    "purchase_order": invoice.purchase_order.number,
                    "total_amount": str(invoice.total_amount),
                    "currency": invoice.currency,
                },
            )
        except NotPostable as exc:  # the ERP could not book it: a clerk completes it
            invoice.send_to_review(
                [{"code": ExceptionCode.NOT_POSTABLE, "message": " ".join(exc.messages[1:]),
                  "details": {"problems": exc.messages[1:]}}],
                actor=ACTOR,
                reason="Matched, but the ERP could not book it as it stands",
            )  # fmt: skip
        return
    what = "Proposed for a clerk to confirm" if outcome.kind == "propose" else "Needs approval"
    chains.request_approval(
        invoice,
        actor=ACTOR,
        reason=f"{what}: {outcome.reason}",
        inputs={"total_amount": str(invoice.total_amount), "currency": invoice.currency},
        outcome=outcome,
    )
