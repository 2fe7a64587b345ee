"""What a clerk does with an invoice in the work queue. Each action is checked against the
user's role here (not only in the screen) and leaves an audit event saying who did what,
and why.

Status moves go through `Invoice.transition` (which audits them); assignment and holds
change no status and are recorded with `audit.chain.record`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from approvals import chains
from audit import chain
from core import exception_codes, roles
from core.exception_codes import ExceptionCode
from core.models import Invoice, InvoiceException, Status
from core.models.invoices import actor_name

# Why a variance is accepted: the reason codes a clerk chooses from.
REASON_CODES = [
    ("price_agreed", "Price agreed with the buyer"),
    ("contract_price", "Contract or framework price"),
    ("freight_agreed", "Freight or surcharge agreed"),
    ("partial_delivery", "Partial delivery accepted"),
    ("rounding", "Rounding or unit difference"),
    ("other", "Other (see comment)"),
]
# The findings a clerk may accept as a variance (core.exception_codes declares them); the
# others are fixed, or decided by an approver.
ACCEPTABLE = frozenset(code for code in ExceptionCode if code.variance)
QUEUE = (Status.NEEDS_REVIEW, Status.PENDING_APPROVAL)


def assign(invoices, to_user, *, by) -> int:
    """Put invoices on a person's list (None: back to nobody's); returns how many moved.
    Raises PermissionDenied when `by` does not work the queue, ValidationError when
    `to_user` is not an active person who does (a compliance reader, say)."""
    _must(roles.can_work_queue(by), "Only clerks can assign invoices.")
    if to_user is not None and not (to_user.is_active and roles.can_work_queue(to_user)):
        raise ValidationError(
            f"{to_user.get_username()} does not work the queue; assign invoices to a clerk."
        )
    count = 0
    with transaction.atomic():
        for invoice in invoices:
            if invoice.status not in QUEUE:
                continue
            invoice.assignee = to_user
            invoice._change_reason = f"assigned to {to_user or 'nobody'}"
            invoice.save(update_fields=["assignee", "updated_at"])
            chain.record(
                "invoice.assigned",
                actor=actor_name(by),
                invoice_id=invoice.pk,
                payload={"to": to_user.get_username() if to_user else None},
            )
            count += 1
    return count


def hold(invoice: Invoice, user, reason: str) -> None:
    """Park an invoice (waiting on the vendor, a credit note, a question to the buyer)."""
    _must(roles.can_work_queue(user), "Only clerks can hold invoices.")
    _in_queue(invoice)
    if not reason.strip():
        raise ValidationError("Say why the invoice is held, so the next person knows.")
    _set_hold(invoice, user, reason.strip()[:300], "invoice.held")


def release(invoice: Invoice, user) -> None:
    """Take a held invoice off hold. Raises ValidationError for one that is not held, or
    no longer waits for a person (a posted invoice has nothing to release)."""
    _must(roles.can_work_queue(user), "Only clerks can release invoices.")
    if invoice.status not in QUEUE or not invoice.hold_reason:
        raise ValidationError(
            f"Invoice {invoice} is not on hold ({invoice.get_status_display()}): there is "
            "nothing to release."
        )
    _set_hold(invoice, user, "", "invoice.released")


def accept_variance(invoice: Invoice, user, code: str, reason_code: str, comment: str) -> bool:
    """Accept one open finding as a variance, with a reason code and a comment. Once no
    finding is open, the invoice goes on to an approver; returns whether it did."""
    _must(roles.can_accept_variance(user), "Only clerks may accept variances.")
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review has variances to accept.")
    if code not in ACCEPTABLE:
        raise ValidationError(f"{code} cannot be accepted as a variance; it must be fixed.")
    if reason_code not in dict(REASON_CODES):
        raise ValidationError("Choose why the variance is accepted.")
    if reason_code == "other" and not comment.strip():
        raise ValidationError("Say why, in a comment, when the reason is 'other'.")
    findings = list(invoice.open_exceptions().filter(code=code))
    if not findings:
        raise ValidationError(f"There is no open {code} on this invoice.")
    accepted = {
        "reason_code": reason_code,
        "reason": dict(REASON_CODES)[reason_code],
        "comment": comment.strip(),
        "by": user.get_username(),
        "at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        _resolve(findings, user, accepted=accepted)
        chain.record(
            "invoice.variance_accepted",
            actor=actor_name(user),
            invoice_id=invoice.pk,
            payload={
                "code": code,
                **accepted,
                "findings": [{"message": f.message, "details": f.details} for f in findings],
            },
        )
        if invoice.open_exceptions().exists():
            return False
        chains.request_approval(
            invoice,
            actor=user,
            reason=f"{exception_codes.label(code)} accepted ({accepted['reason']}); "
            "an approver decides",
            inputs={"accepted_variance": code, "reason_code": reason_code},
        )
    return True


def send_for_approval(invoice: Invoice, user, comment: str = "") -> None:
    """Hand an invoice in review to an approver; open findings stay for them to see."""
    _must(roles.can_work_queue(user), "Only clerks can send invoices for approval.")
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review can be sent for approval.")
    open_codes = list(invoice.open_exceptions().values_list("code", flat=True))
    refused = exception_codes.refusal(open_codes)
    if refused:  # an approver could not approve it either
        raise ValidationError(refused)
    if open_codes and not comment.strip():
        raise ValidationError(
            f"Sending it on with open exceptions ({exception_codes.labels(open_codes)}) needs a "
            "comment "
            "for the approver."
        )
    chains.request_approval(
        invoice,
        actor=user,
        reason=comment.strip() or "Sent for approval",
        inputs={"open_exceptions": open_codes},
    )


def release_duplicate(invoice: Invoice, user, comment: str) -> bool:
    """The clerk checked the invoice named by an open DUPLICATE finding and it is another
    invoice: the finding is resolved with the clerk's comment, and (separation of duties)
    this clerk may not approve it, so a second person decides. Once nothing is open the
    invoice goes on to an approver; returns whether it did. Raises ValidationError when
    there is no open DUPLICATE or no comment."""
    _must(roles.can_work_queue(user), "Only clerks can release a possible duplicate.")
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review can be released as not a duplicate.")
    if not comment.strip():
        raise ValidationError("Say how you know it is not a duplicate (what you compared).")
    findings = list(invoice.open_exceptions().filter(code=ExceptionCode.DUPLICATE))
    if not findings:
        raise ValidationError("There is no open DUPLICATE on this invoice.")
    released = {"by": user.get_username(), "at": timezone.now().isoformat(),
                "comment": comment.strip()}  # fmt: skip
    with transaction.atomic():
        _resolve(findings, user, released=released)
        chain.record(
            "invoice.duplicate_released",
            actor=actor_name(user),
            invoice_id=invoice.pk,
            payload={**released, "findings": [f.message for f in findings]},
        )
        if invoice.open_exceptions().exists():
            return False
        chains.request_approval(
            invoice,
            actor=user,
            reason=f"Not a duplicate ({comment.strip()}); an approver decides",
            inputs={"released_duplicate": [f.details.get("invoice_ids") for f in findings]},
        )
    return True


def confirm_reading(invoice: Invoice, user, comment: str) -> bool:
    """The clerk compared the invoice's fields with the e-invoice an open EINVOICE_UNUSABLE
    names (its XML opened by hand, or a copy from the vendor) and they are right: the
    finding is resolved with the clerk's comment (what was compared), the invoice's reading
    problems are cleared so matching again does not raise them again, and once nothing is
    open the invoice goes on to an approver; returns whether it did. Raises ValidationError
    when there is no open EINVOICE_UNUSABLE or no comment."""
    _must(roles.can_work_queue(user), "Only clerks can confirm what was read.")
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review can have its reading confirmed.")
    if not comment.strip():
        raise ValidationError("Say what you compared the fields with (the e-invoice, a copy).")
    findings = list(invoice.open_exceptions().filter(code=ExceptionCode.EINVOICE_UNUSABLE))
    if not findings:
        raise ValidationError("There is no open EINVOICE_UNUSABLE on this invoice.")
    confirmed = {"by": user.get_username(), "at": timezone.now().isoformat(),
                 "comment": comment.strip()}  # fmt: skip
    with transaction.atomic():
        _resolve(findings, user, confirmed=confirmed)
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        settled = [problem.get("code") for problem in locked.reading_problems]
        locked.reading_problems = []
        locked._change_reason = "Reading confirmed by " + actor_name(user)
        locked.save(update_fields=["reading_problems", "updated_at"])
        chain.record(
            "invoice.reading_confirmed",
            actor=actor_name(user),
            invoice_id=invoice.pk,
            payload={**confirmed, "settled": settled, "findings": [f.message for f in findings]},
        )
        if invoice.open_exceptions().exists():
            return False
        chains.request_approval(
            invoice,
            actor=user,
            reason=f"Fields confirmed against the e-invoice ({comment.strip()})",
            inputs={"confirmed_reading": [f.details for f in findings]},
        )
    return True


def mark_duplicate(invoice: Invoice, user, comment: str = "") -> None:
    _must(roles.can_work_queue(user), "Only clerks can mark duplicates.")
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review can be marked a duplicate.")
    with transaction.atomic():
        _resolve_all(invoice, user)
        invoice.transition(
            Status.DUPLICATE, actor=user, reason=comment.strip() or "Marked a duplicate"
        )


def reject_to_vendor(invoice: Invoice, user, comment: str) -> None:
    """The invoice is wrong and goes back to the vendor (a new one is expected)."""
    _must(roles.can_work_queue(user), "Only clerks can send invoices back to the vendor.")
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review can be sent back to the vendor.")
    if not comment.strip():
        raise ValidationError("Say what is wrong, so the vendor can be told.")
    with transaction.atomic():
        _resolve_all(invoice, user)
        invoice.transition(
            Status.REJECTED, actor=user, reason=f"Back to the vendor: {comment.strip()}"
        )


def _set_hold(invoice: Invoice, user, reason: str, action: str) -> None:
    with transaction.atomic():
        invoice.hold_reason = reason
        invoice._change_reason = action
        invoice.save(update_fields=["hold_reason", "updated_at"])
        chain.record(action, actor=actor_name(user), invoice_id=invoice.pk,
                     payload={"reason": reason})  # fmt: skip


def _resolve_all(invoice: Invoice, user) -> None:
    InvoiceException.objects.filter(invoice=invoice, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=user
    )


def _in_queue(invoice: Invoice) -> None:
    if invoice.status not in QUEUE:
        raise ValidationError("Only an invoice waiting for a person can be held.")


def _must(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _resolve(findings, user, **why) -> None:
    """Mark each open exception of `findings` resolved by `user` now, keeping `why` (how it
    was resolved: {"accepted": ...} or {"released": ...}) in its details."""
    for finding in findings:
        finding.resolved_at = timezone.now()
        finding.resolved_by = user
        finding.details = {**finding.details, **why}
        finding.save(update_fields=["resolved_at", "resolved_by", "details"])
