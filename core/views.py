"""The screens: invoice list, invoice detail with its audit trail, upload, decisions."""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from approvals import chains, decisions, triage
from audit.models import AuditEvent
from core import action_results, business_rules, document_types, exception_codes, roles
from core.coding import lines_card
from core.formatting import format_amount, format_date
from core.forms import DecisionForm, InvoiceFieldsForm, UploadForm
from core.models import Document, Invoice, PurchaseOrderLine, Status
from core.pages import page_png, page_sizes
from core.queue_views import clerks, invoice_url, neighbours
from core.tasks import enqueue_invoice
from extraction.channels.files import take
from extraction.channels.uploads import refused_uploads
from extraction.corrections import CORRECTABLE, correct_fields
from extraction.types import HEADER_FIELDS, field_label
from matching.services import purchase_orders

# Statuses whose rows refresh themselves while the pipeline works on them.
IN_PROGRESS = action_results.IN_PROGRESS
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _get_invoice_for_user(request: HttpRequest, pk: int) -> Invoice:
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    return get_object_or_404(
        Invoice.objects.select_related("document", "vendor", "purchase_order"), pk=pk
    )


@login_required
@require_GET
def invoice_list(request: HtmxHttpRequest):
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    invoices = (
        Invoice.objects.select_related("vendor", "document")
        .defer("document__words")
        .prefetch_related("exceptions")
    )
    if status in Status.values:
        invoices = invoices.filter(status=status)
    counts = dict(Invoice.objects.values_list("status").annotate(n=Count("id")).order_by())
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/invoice_list.html",
        {
            "page": page,
            "status": status,
            "tabs": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
            "total": sum(counts.values()),
            "in_progress": IN_PROGRESS,
        },
    )


@login_required
@require_GET
def invoice_row(request: HtmxHttpRequest, pk: int):
    """One row of the list, polled by htmx while the pipeline is working on the invoice."""
    invoice = _get_invoice_for_user(request, pk)
    return render(
        request, "core/invoice_row.html", {"invoice": invoice, "in_progress": IN_PROGRESS}
    )


@login_required
@require_GET
def invoice_detail(request: HtmxHttpRequest, pk: int):
    invoice = _get_invoice_for_user(request, pk)
    # After an action (?from=<the queue it was in>): its outcome, once the worker is done,
    # and "Next invoice" in that queue as the next step (issue 19).
    queue = request.GET.get("from", "")
    acted = queue in triage.QUEUE
    outcome = action_results.settled(request, invoice)
    if outcome:
        messages.success(request, outcome)
    previous_item, next_item = neighbours(invoice, queue, request.user)
    open_findings = list(invoice.open_exceptions())
    can_work = roles.can_work_queue(request.user) and invoice.status in triage.QUEUE
    return render(
        request,
        "core/invoice_detail.html",
        {
            "invoice": invoice,
            "pages": _pages(invoice, request.GET.get("field", "")),
            "selected_field": request.GET.get("field", ""),
            "match": _match_panel(invoice),
            "previous_item": previous_item,
            "next_item": next_item,
            "acted": acted,
            "acted_queue": action_results.QUEUE_NAMES.get(queue, ""),
            "awaiting_outcome": action_results.is_pending(request, invoice),
            "can_work": can_work,
            "duplicate_open": any(f.code == "DUPLICATE" for f in open_findings),
            "reading_open": any(f.code == "EINVOICE_UNUSABLE" for f in open_findings),
            "approval_blocked": exception_codes.refusal(f.code for f in open_findings),
            "acceptable": [f for f in open_findings if f.code in triage.ACCEPTABLE]
            if roles.can_accept_variance(request.user) and invoice.status == Status.NEEDS_REVIEW
            else [],
            "reason_codes": triage.REASON_CODES,
            "assignees": clerks() if can_work else [],
            "fields": _field_rows(invoice),
            "document_label": document_types.label(
                invoice.type_code, invoice.document_type, invoice.document_kind
            ),
            "preceding": _preceding_invoice(invoice),
            "lines": _line_rows(invoice),
            **lines_card(invoice, request.user),
            "totals": _totals(invoice),
            "tax_breakdown": [
                {"row": row, "name": VAT_CATEGORIES.get(row.category, "")}
                for row in invoice.tax_breakdown.all()
            ],
            "exceptions": _exceptions_shown(invoice),
            "events": AuditEvent.objects.for_invoice(invoice.pk),
            "decision_form": DecisionForm(),
            **_approval_panel(invoice, request.user),
            "can_correct_now": roles.can_correct(request.user) and invoice.status in CORRECTABLE,
            "in_progress": invoice.status in IN_PROGRESS,
        },
    )


# UNTDID 5305 VAT categories as EN 16931 uses them (BT-118, BT-151), named for a clerk: the
# names of the categories whose sums are checked (core.business_rules), and three more.
VAT_CATEGORIES = {code: category.name for code, category in business_rules.CATEGORIES.items()}
VAT_CATEGORIES |= {
    "L": "Canary Islands (IGIC)",
    "M": "Ceuta and Melilla (IPSI)",
    "B": "Split payment (Italy)",
}
# How deep sub-lines are indented at most (a parent chain longer than that, or a loop, is
# drawn at this depth).
MAX_LINE_DEPTH = 4


def _line_rows(invoice: Invoice) -> list[dict]:
    """The lines in document order with their allowances and charges (BG-27/28) and their
    depth among sub-lines (parent_line_id): a row per line for the Lines table."""
    lines = list(invoice.lines.prefetch_related("allowances_charges"))
    parents = {line.line_id: line.parent_line_id for line in lines if line.line_id}
    rows = []
    for line in lines:
        depth, parent = 0, line.parent_line_id
        while parent and depth < MAX_LINE_DEPTH:
            depth += 1
            parent = parents.get(parent, "")
        rows.append(
            {
                "line": line,
                "depth": depth,
                "category": VAT_CATEGORIES.get(line.tax_category, ""),
                "allowances_charges": list(line.allowances_charges.all()),
            }
        )
    return rows


def _totals(invoice: Invoice) -> list[dict]:
    """The document totals in the order of EN 16931 (BG-22), only those the document
    states: sum of lines, each allowance and charge with its reason and their sums, net,
    VAT, total, paid, rounding, amount due. `sign` is how the row changes the sum above it
    ("-", "+", "±", or "=" for a result), `detail` marks a single allowance or charge."""
    on_document = [item for item in invoice.allowances_charges.all() if item.line_id is None]
    allowances = [item for item in on_document if not item.charge]
    charges = [item for item in on_document if item.charge]
    rows = [
        ("", "Sum of lines", "BT-106", invoice.line_total_amount),
        *[("-", item, "", item.amount) for item in allowances],
        ("-", "Allowances", "BT-107", invoice.allowance_total_amount),
        *[("+", item, "", item.amount) for item in charges],
        ("+", "Charges", "BT-108", invoice.charge_total_amount),
        ("=", "Net amount", "BT-109", invoice.net_amount),
        ("+", "VAT", "BT-110", invoice.tax_amount),
        ("=", "Total", "BT-112", invoice.total_amount),
        ("-", "Paid", "BT-113", invoice.prepaid_amount),
        ("±", "Rounding", "BT-114", invoice.rounding_amount),
        ("+", "Third party payments", "BT-DEX-002", invoice.third_party_payment_amount),
        ("=", "Amount due", "BT-115", invoice.amount_due),
    ]
    shown = [
        {"sign": sign, "label": label, "term": term, "amount": amount, "detail": not term}
        for sign, label, term, amount in rows
        if amount is not None
    ]
    if shown:
        shown[0]["sign"] = ""  # what the sums start from (the net, on a printed invoice)
    return shown


def _preceding_invoice(invoice: Invoice) -> dict | None:
    """The invoice this one credits or corrects (BT-25/26), and the earlier invoice of the
    same vendor under that number, where there is one here to link to."""
    if not invoice.preceding_invoice_number:
        return None
    earlier = Invoice.objects.preceding(invoice).order_by("-pk").first()
    return {
        "number": invoice.preceding_invoice_number,
        "date": invoice.preceding_invoice_date,
        "invoice": earlier,
    }


def _approval_panel(invoice: Invoice, user) -> dict:
    """The approval route (policy, levels, who decided in what capacity, who is waited
    for, the SLA), and whether this user may decide now, or why not."""
    can_decide, why_not = decisions.can_decide(invoice, user)
    route = invoice.approval_routes.first()  # the latest
    levels = []
    if route is not None:
        decided = list(route.decisions.select_related("user", "on_behalf_of"))
        waiting = chains.waiting_for(route)
        for number, level in enumerate(route.levels):
            sla_due = None
            if route.state == route.State.OPEN and number == route.level:
                sla_due = route.level_started_at + timedelta(hours=level["sla_hours"])
            levels.append(
                {
                    "number": number + 1,
                    "needs": chains.describe(level),
                    "eligible": chains.eligible(level),
                    "added": level["added"],
                    "decisions": [d for d in decided if d.level == number],
                    "current": route.state == route.State.OPEN and number == route.level,
                    "waiting_for": waiting if number == route.level else [],
                    "sla_due": sla_due,
                }
            )
    return {
        "route": route,
        "route_levels": levels,
        "can_decide": can_decide,
        "why_not_decide": why_not,
        "now": timezone.now(),
    }


@login_required
@require_POST
def invoice_decide(request: HtmxHttpRequest, pk: int):
    """Approve or reject (or confirm the system's proposal). The same invoice stays open
    with the decision and the state it left (core.action_results); "Next invoice" goes on
    in the queue the invoice was in."""
    invoice = _get_invoice_for_user(request, pk)
    if not (roles.can_approve(request.user) or roles.can_work_queue(request.user)):
        raise PermissionDenied  # approvers decide; clerks confirm the system's proposals
    before = action_results.snapshot(invoice)
    here = invoice_url(pk, before["status"])  # after a decision: with "Next invoice"
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or reject.")
        return redirect(invoice_detail, pk=pk)
    decide = decisions.approve if form.cleaned_data["decision"] == "approve" else decisions.reject
    try:
        decide(invoice, request.user, form.cleaned_data["comment"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(invoice_detail, pk=pk)
    except PermissionDenied as exc:  # separation of duties, not at this level: said why
        messages.error(request, str(exc) or "You may not decide this invoice.")
        return redirect(invoice_detail, pk=pk)
    invoice.refresh_from_db()
    if invoice.status == Status.PENDING_APPROVAL and form.cleaned_data["decision"] == "approve":
        waiting = chains.waiting_for(chains.open_route(invoice))
        messages.info(
            request,
            "Your approval is recorded; the invoice now waits for "
            + (", ".join(waiting) or "the next approver")
            + ".",
        )
        return redirect(here)
    if invoice.status == Status.APPROVED:
        enqueue_invoice(invoice.pk)  # posting runs in the worker
    messages.success(
        request,
        f"Invoice {invoice} {invoice.get_status_display()}. "
        + action_results.describe(before, invoice),
    )
    return redirect(here)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_fields(request: HtmxHttpRequest, pk: int):
    """Correct the extracted fields; the invoice is then matched again, and the vendor's
    extraction profile learns from the correction."""
    invoice = _get_invoice_for_user(request, pk)
    if not roles.can_correct(request.user):
        raise PermissionDenied
    # The form works on its own copy: validation writes cleaned values onto its instance.
    form = InvoiceFieldsForm(request.POST or None, instance=Invoice.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            changed = correct_fields(invoice, request.user, changes)
            # Saved unchanged, it is matched again all the same: against the master data as
            # it is now (a vendor added since, a goods receipt; issue 19).
            decisions.send_back_to_matching(
                invoice,
                request.user,
                f"Corrected {', '.join(map(field_label, changed))}; matching again"
                if changed
                else "Saved without changes; matching again against the current master data",
            )
            enqueue_invoice(invoice.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if changed:
                messages.success(request, f"Corrected {len(changed)} field(s); matching again.")
            else:
                messages.info(
                    request,
                    "No field was changed; matching again against the current vendor master, "
                    "purchase orders and goods receipts.",
                )
        return redirect(invoice_detail, pk=pk)
    template = "core/invoice_fields_form.html" if request.htmx else "core/invoice_fields.html"
    return render(request, template, {"invoice": invoice, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HtmxHttpRequest):
    if not roles.can_upload(request.user):
        raise PermissionDenied
    results, refused = [], []
    form = UploadForm(request.POST or None, request.FILES or None)
    # Files dropped while streaming in (over MAX_STORED_BYTES) are listed with the rest.
    refused += [(item.name, item.rule) for item in refused_uploads(request)]
    if request.method == "POST" and (form.is_valid() or refused):
        for uploaded in form.cleaned_data.get("files", []):
            taken = take(
                uploaded.name,
                uploaded.read(),
                channel=Document.Channel.UPLOAD,
                actor=request.user,
                source={"uploaded_by": request.user.get_username()},
            )
            results += taken.received
            refused += [(item.name, item.rule) for item in taken.left_out]
        form = UploadForm()
    return render(
        request,
        "core/upload.html",
        {
            "form": form,
            "results": results,
            "invoices": [r.invoice for r in results],
            "refused": refused,
            "in_progress": IN_PROGRESS,
        },
    )


@login_required
@require_GET
def document_page(request: HttpRequest, pk: int, number: int):
    """One page of the original as a PNG, for the invoice screen."""
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    document = get_object_or_404(Document.objects.defer("words"), pk=pk)
    png = page_png(document, number)
    if png is None:
        raise Http404("No such page")
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def document_file(request: HttpRequest, pk: int):
    """The original file. Only PDFs and images are shown inline, sandboxed; the rest download."""
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    document = get_object_or_404(Document, pk=pk)
    inline = document.content_type in INLINE_TYPES
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=not inline,
        filename=document.original_name,
        content_type=document.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


def _field_rows(invoice: Invoice):
    for name in HEADER_FIELDS:
        provenance = invoice.provenance.get(name) or {}
        yield {
            "name": name,
            "label": Invoice._meta.get_field(name).verbose_name,
            "value": _display(getattr(invoice, name), invoice.currency),
            "confidence": invoice.confidence.get(name),
            "method": provenance.get("method", ""),
            "page": provenance.get("page"),
            "located": bool(provenance.get("bbox")),
        }


def _pages(invoice: Invoice, selected: str) -> list[dict]:
    """Each page to show, with the boxes of the fields read on it, in percent of the page
    (so they sit right at any zoom)."""
    sizes = page_sizes(invoice.document)
    pages = [{"number": n, "boxes": []} for n in range(1, len(sizes) + 1)]
    for name, provenance in (invoice.provenance or {}).items():
        page, box = provenance.get("page"), provenance.get("bbox")
        if not box or not page or not 1 <= page <= len(sizes):
            continue
        width, height = sizes[page - 1]
        x0, top, x1, bottom = box
        pages[page - 1]["boxes"].append(
            {
                "field": name,
                "selected": name == selected,
                "left": round(100 * x0 / width, 2),
                "top": round(100 * top / height, 2),
                "width": round(100 * (x1 - x0) / width, 2),
                "height": round(100 * (bottom - top) / height, 2),
            }
        )
    return pages


def _exceptions_shown(invoice: Invoice) -> list:
    """The invoice's exceptions for its screen: each open one, and each resolved one whose
    code is not open again (matching again resolves what it found before and raises what it
    finds now: "Purchase order not found" resolved and open at once says nothing)."""
    found = list(invoice.exceptions.all())
    open_codes = {exc.code for exc in found if exc.resolved_at is None}
    return [exc for exc in found if exc.resolved_at is None or exc.code not in open_codes]


def _match_panel(invoice: Invoice) -> dict | None:
    """Invoice lines beside the PO lines they billed, with what was received and billed
    before, the prices and the variances, from the last match run."""
    run = invoice.match_runs.first()
    if run is None:
        return None
    po_line_ids = [m["po_line_id"] for m in run.line_matches]
    orders = (
        purchase_orders(
            ids=list(
                PurchaseOrderLine.objects.filter(pk__in=po_line_ids)
                .values_list("purchase_order_id", flat=True)
                .distinct()
            ),
            exclude_invoice=invoice.pk,
        )
        if po_line_ids
        else []
    )
    po_lines = {line.id: line for order in orders for line in order.lines}
    paired = {m["position"]: m for m in run.line_matches}
    findings, by_po_line = {}, {}
    for finding in run.findings:
        position = finding["details"].get("position")
        if position is not None:
            findings.setdefault(position, []).append(finding)
        elif finding["details"].get("po_line") is not None:  # quantities: per PO line
            key = (finding["details"].get("po_number"), finding["details"]["po_line"])
            by_po_line.setdefault(key, []).append(finding)
    rows = []
    for line in invoice.lines.all():
        match = paired.get(line.position)
        po_line = po_lines.get(match["po_line_id"]) if match else None
        if po_line is not None:  # under the first invoice line that billed the PO line
            findings.setdefault(line.position, []).extend(
                by_po_line.pop((po_line.po_number, po_line.line_no), [])
            )
        variance = (
            line.unit_price - po_line.unit_price
            if po_line and line.unit_price is not None
            else None
        )
        rows.append(
            {
                "line": line,
                "how": match["how"] if match else "",
                "po_line": po_line,
                "variance": variance,
                "findings": findings.get(line.position, []),
            }
        )
    compared = any(row["po_line"] for row in rows)
    return {"run": run, "rows": rows, "compared": compared, "rules": run.tolerances}


def _display(value, currency: str = ""):
    """Dates and amounts written as every screen writes them (core.formatting): "4 Mar 2026",
    "9,312.00 EUR"."""
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Decimal):
        return format_amount(value, currency)
    return value
