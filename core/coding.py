"""Coding an invoice without a purchase order: each counted line gets the GL account and
cost center it is booked on, and the ERP's tax code, entered by a clerk. Matching raises
NOT_CODED until every counted line has a GL account and a cost center
(matching.engine._coding_checks); once coded, the invoice is matched again and goes on.

Suggestions come from the clerks' own earlier work: the lines of the vendor's other
invoices that were coded (the coding stored on InvoiceLine, and each coding audited as
`invoice.lines_coded`, which is what the learning keeps). For each line, the coding of the
vendor's line whose description is most alike (rapidfuzz token set ratio, at least
SIMILAR_DESCRIPTION; ties go to the closest wording, then the newest), else the vendor's
most frequent coding. A suggestion is only a prefilled value: nothing is coded until the
clerk saves it.
"""

import re
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from rapidfuzz import fuzz, utils

from audit import chain
from audit.models import AuditEvent
from core import roles
from core.models import Invoice, InvoiceLine, Status
from core.models.invoices import actor_name
from extraction.corrections import CORRECTABLE, lock_for_correction

CODING_FIELDS = ("gl_account", "cost_center", "tax_code")
ACTION = "invoice.lines_coded"
# How alike (0-100, token set ratio of the descriptions, case and punctuation ignored) an
# earlier line must be for its coding to be suggested for this one.
SIMILAR_DESCRIPTION = 70
# Earlier coded lines of the vendor looked at, newest first.
HISTORY_LIMIT = 500
# An account, cost center or tax code as ERPs key them: letters, digits and . - _ /.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


@dataclass(frozen=True)
class Suggestion:
    """A coding proposed for one line, and where it comes from, in words."""

    gl_account: str
    cost_center: str
    tax_code: str
    source: str  # "like line 2 of invoice BL-90017 ('Support hours', 92% alike)", ...
    score: int  # the description likeness it was chosen by (0 for the vendor's usual)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in CODING_FIELDS}


def is_coded(line: InvoiceLine) -> bool:
    """What matching requires of a line of an invoice without a PO."""
    return bool(line.gl_account and line.cost_center)


def needs_coding(invoice: Invoice) -> bool:
    """True while NOT_CODED is open on the invoice."""
    return invoice.open_exceptions().filter(code="NOT_CODED").exists()


def suggestions(invoice: Invoice) -> dict[int, Suggestion]:
    """For each line of `invoice` (by id), the coding the vendor's earlier coded lines
    suggest; lines with nothing to suggest are left out. Needs a vendor."""
    if invoice.vendor_id is None:
        return {}
    history = list(
        InvoiceLine.objects.filter(invoice__vendor_id=invoice.vendor_id)
        .exclude(invoice_id=invoice.pk)
        .exclude(gl_account="")
        .exclude(invoice__status__in=(Status.REJECTED, Status.DUPLICATE))
        .select_related("invoice")
        .order_by("-invoice_id", "position")[:HISTORY_LIMIT]
    )
    if not history:
        return {}
    usual = Counter((h.gl_account, h.cost_center, h.tax_code) for h in history)
    (gl, cc, tax), times = usual.most_common(1)[0]
    fallback = Suggestion(
        gl, cc, tax, f"this vendor's usual coding ({times} of {len(history)} coded lines)", 0
    )
    found = {}
    for line in invoice.lines.all():
        best, score, closest = None, 0, 0.0
        for earlier in history:
            # Token set ratio finds "Support hours" in "Support hours, weekend"; among equal
            # ones the plain ratio prefers the same wording, then the newest.
            alike = round(
                fuzz.token_set_ratio(
                    line.description, earlier.description, processor=utils.default_process
                )
            )
            exact = fuzz.ratio(
                line.description, earlier.description, processor=utils.default_process
            )
            if (alike, exact) > (score, closest):
                best, score, closest = earlier, alike, exact
        if best is not None and score >= SIMILAR_DESCRIPTION and line.description:
            found[line.pk] = Suggestion(
                best.gl_account,
                best.cost_center,
                best.tax_code,
                f"like line {best.position} of invoice {best.invoice} "
                f"(“{best.description}”, {score}% alike)",
                score,
            )
        else:
            found[line.pk] = fallback
    return found


def lines_card(invoice: Invoice, user) -> dict:
    """What the Lines card on the invoice screen needs beside the lines: whether this user
    may correct or code them now, whether the invoice waits for coding, and whether the
    coding columns are shown (an invoice without a PO, or any line coded)."""
    allowed = roles.can_correct(user) and invoice.status in CORRECTABLE
    waiting = needs_coding(invoice)
    return {
        "can_correct_lines": allowed,
        "can_code_lines": allowed,  # coded while in review, as lines are corrected
        "needs_coding": waiting,
        "show_coding": waiting
        or invoice.purchase_order_id is None
        or invoice.lines.exclude(gl_account="").exists(),
    }


def clean_code(value: str, label: str) -> str:
    """A code as typed, stripped; ValidationError when it is not one (CODE_PATTERN)."""
    value = (value or "").strip()
    if value and not CODE_PATTERN.fullmatch(value):
        raise ValidationError(
            f"A {label} is letters and digits (and . - _ /), e.g. 6300; “{value}” is not."
        )
    return value


def code_lines(invoice: Invoice, user, coding: dict[int, dict], suggested=None) -> list[dict]:
    """Save the coding of the lines (by id: {gl_account, cost_center, tax_code}); returns
    one dict per line whose coding changed (position, fields {name: {"from", "to"}},
    whether it is what was suggested). One audit event `invoice.lines_coded` records them
    with the suggestions offered, so what clerks accept or change is kept for learning.
    `suggested` is {line id: Suggestion} as offered on the form. ValidationError when the
    invoice is not in review or a line is not the invoice's."""
    suggested = suggested or {}
    with transaction.atomic():
        locked = lock_for_correction(invoice, "Lines can be coded")
        lines = {line.pk: line for line in locked.lines.all()}
        if set(coding) - set(lines):
            raise ValidationError("A line changed meanwhile; open the coding again.")
        done = []
        for pk, values in coding.items():
            line = lines[pk]
            fields = {
                name: {"from": getattr(line, name), "to": values[name]}
                for name in CODING_FIELDS
                if name in values and getattr(line, name) != values[name]
            }
            if not fields:
                continue
            for name, diff in fields.items():
                setattr(line, name, diff["to"])
            line._change_reason = "Coded by " + actor_name(user)
            line.save()
            offer = suggested.get(pk)
            done.append(
                {
                    "position": line.position,
                    "description": line.description,
                    "fields": fields,
                    "coding": {name: getattr(line, name) for name in CODING_FIELDS},
                    "suggested": offer.as_dict() if offer else None,
                    "suggestion_taken": bool(offer)
                    and all(getattr(line, name) == getattr(offer, name) for name in CODING_FIELDS),
                }
            )
        if done:
            chain.record(
                ACTION,
                actor=actor_name(user),
                invoice_id=locked.pk,
                payload={
                    "reason": "Coded line " + ", ".join(str(item["position"]) for item in done),
                    "lines": done,
                    "vendor_id": locked.vendor_id,
                },
            )
    invoice.refresh_from_db()
    return done


def coding_examples(vendor_id: int | None = None) -> list[dict]:
    """The codings clerks saved, oldest first, as training data: one dict per coded line
    (invoice_id, vendor_id, description, coding, suggested, suggestion_taken), from the
    audit events."""
    examples = []
    for event in (
        AuditEvent.objects.filter(action=ACTION).order_by("id").values("invoice_id", "payload")
    ):
        payload = event["payload"] or {}
        if vendor_id is not None and payload.get("vendor_id") != vendor_id:
            continue
        for item in payload.get("lines", []):
            examples.append(
                {
                    "invoice_id": event["invoice_id"],
                    "vendor_id": payload.get("vendor_id"),
                    "description": item["description"],
                    "coding": item["coding"],
                    "suggested": item["suggested"],
                    "suggestion_taken": item["suggestion_taken"],
                }
            )
    return examples
