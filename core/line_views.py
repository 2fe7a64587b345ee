"""The Lines card's actions: a clerk corrects, adds and removes lines, and codes the lines
of an invoice without a purchase order. Both go the way header corrections go
(core.views.invoice_fields): who may correct fields may do these, while the invoice is in
review; each save is audited; then the invoice is matched again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from approvals import decisions
from core import coding, roles
from core.line_forms import CodingFormSet, LineFormSet
from core.models import Invoice
from core.tasks import enqueue_invoice
from core.views import HtmxHttpRequest, _get_invoice_for_user, invoice_detail
from extraction.corrections import CORRECTABLE
from extraction.line_corrections import LINE_FIELDS, LineChanges, correct_lines, describe


def _allowed(request, pk: int) -> Invoice:
    invoice = _get_invoice_for_user(request, pk)
    if not roles.can_correct(request.user):
        raise PermissionDenied
    return invoice


def _match_again(invoice: Invoice, user, reason: str) -> None:
    """As after a header correction: the open exceptions were about the old values."""
    decisions.send_back_to_matching(invoice, user, reason)
    enqueue_invoice(invoice.pk)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_lines(request: HtmxHttpRequest, pk: int):
    """Correct, add and remove lines; then the invoice is matched again."""
    invoice = _allowed(request, pk)
    formset = LineFormSet(
        request.POST or None, queryset=invoice.lines.prefetch_related("allowances_charges")
    )
    if request.method == "POST":
        if invoice.status not in CORRECTABLE:
            messages.error(
                request,
                f"Lines can be corrected while an invoice is in review; this one is "
                f"{invoice.get_status_display()}.",
            )
            return redirect(invoice_detail, pk=pk)
        if formset.is_valid():
            changes = LineChanges()
            for form in formset.forms:
                if formset.can_delete and formset._should_delete_form(form):
                    if form.instance.pk:
                        changes.removed.append(form.instance.pk)
                elif form.instance.pk and form.has_changed():
                    changes.changed[form.instance.pk] = {
                        name: form.cleaned_data[name] for name in LINE_FIELDS
                    }
                elif not form.instance.pk and form.has_changed():
                    changes.added.append({name: form.cleaned_data[name] for name in LINE_FIELDS})
            try:
                done = correct_lines(invoice, request.user, changes)
                if done:
                    _match_again(
                        invoice, request.user, f"Corrected {describe(done)}; matching again"
                    )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if done:
                    messages.success(
                        request, f"Corrected {describe(done)}; the invoice is matched again."
                    )
                else:
                    messages.info(request, "Nothing was changed.")
            return redirect(invoice_detail, pk=pk)
    # htmx swaps the form into the Lines card; otherwise (and with errors) a page of its own.
    partial = request.htmx and request.method == "GET"
    template = "core/lines_form.html" if partial else "core/lines_page.html"
    return render(
        request,
        template,
        {"invoice": invoice, "formset": formset},
    )


@login_required
@require_http_methods(["GET", "POST"])
def invoice_coding(request: HtmxHttpRequest, pk: int):
    """Code the lines (GL account, cost center, tax code), prefilled with the suggestions
    from the vendor's earlier coded invoices; then the invoice is matched again."""
    invoice = _allowed(request, pk)
    lines = list(invoice.lines.all())
    offered = coding.suggestions(invoice)
    required = invoice.purchase_order_id is None
    initial = []
    for line in lines:
        offer = offered.get(line.pk)
        prefill = {name: getattr(line, name) for name in coding.CODING_FIELDS}
        if offer and not coding.is_coded(line):
            prefill = {name: prefill[name] or getattr(offer, name) for name in prefill}
        initial.append({"line": line.pk, **prefill})
    formset = CodingFormSet(request.POST or None, initial=initial)
    for form, line in zip(formset.forms, lines, strict=False):
        form.required_coding = required and line.counted
    if request.method == "POST":
        if invoice.status not in CORRECTABLE:
            messages.error(
                request,
                f"Lines can be coded while an invoice is in review; this one is "
                f"{invoice.get_status_display()}.",
            )
            return redirect(invoice_detail, pk=pk)
        if formset.is_valid():
            values = {
                form.cleaned_data["line"]: {
                    name: form.cleaned_data[name] for name in coding.CODING_FIELDS
                }
                for form in formset.forms
            }
            try:
                done = coding.code_lines(invoice, request.user, values, offered)
                if done:
                    _match_again(
                        invoice,
                        request.user,
                        f"Coded line {', '.join(str(item['position']) for item in done)}; "
                        "matching again",
                    )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if done:
                    messages.success(
                        request, f"Coded {len(done)} line(s); the invoice is matched again."
                    )
                else:
                    messages.info(request, "Nothing was changed.")
            return redirect(invoice_detail, pk=pk)
    rows = [
        {"line": line, "form": form, "suggestion": offered.get(line.pk)}
        for line, form in zip(lines, formset.forms, strict=False)
    ]
    # htmx swaps the form into the Lines card; otherwise (and with errors) a page of its own.
    partial = request.htmx and request.method == "GET"
    template = "core/coding_form.html" if partial else "core/coding_page.html"
    return render(
        request,
        template,
        {"invoice": invoice, "formset": formset, "rows": rows, "required": required},
    )
