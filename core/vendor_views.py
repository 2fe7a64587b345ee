"""The vendor of an invoice, settled from the invoice (issue 19): add it to the vendor
master or link to one there (admins), request it (clerks); and the list of open vendor
requests admins work through. The rules and the audit are core.vendors'."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import roles, vendors
from core.models import Invoice, Vendor, VendorRequest


@login_required
@require_http_methods(["GET", "POST"])
def invoice_vendor(request: HttpRequest, pk: int):
    """GET: what the invoice says of its vendor, the vendors of the master it may be
    (suggested, or searched with ?q=), and what this user may do: add or link (admins),
    request (clerks). POST `action` = add | link (with `vendor`) | request (with
    `comment`); done, back to the invoice, which is being matched again."""
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    invoice = get_object_or_404(Invoice.objects.select_related("vendor"), pk=pk)
    # Adding from here links the invoice and matches it again: working the queue too.
    can_add = roles.can_add_vendor(request.user) and roles.can_work_queue(request.user)
    form = vendors.VendorForm(initial=vendors.proposal(invoice))
    action = request.POST.get("action", "") if request.method == "POST" else ""
    try:
        if action == "add":
            form = vendors.VendorForm(request.POST)
            if not can_add:
                raise PermissionDenied
            if form.is_valid():
                vendor = vendors.add_vendor(invoice, request.user, form)
                messages.success(
                    request,
                    f"{vendor.name} added to the vendor master and this invoice linked to it; "
                    "matching again.",
                )
                return redirect("invoice_detail", pk=pk)
        elif action == "link":
            vendor = get_object_or_404(Vendor, pk=_int(request.POST.get("vendor")))
            vendors.link_vendor(invoice, vendor, request.user)
            messages.success(request, f"Invoice linked to {vendor.name}; matching again.")
            return redirect("invoice_detail", pk=pk)
        elif action == "request":
            vendors.request_vendor(invoice, request.user, request.POST.get("comment", ""))
            messages.success(
                request,
                "Vendor requested: the vendor admins are told, and the request shows on the "
                "invoice until one of them adds or links the vendor.",
            )
            return redirect("invoice_detail", pk=pk)
        elif action:
            messages.error(request, "Unknown action.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    query = request.GET.get("q", "")
    context = {
        "invoice": invoice,
        "form": form,
        "can_add": can_add,
        "can_link": roles.can_link_vendor(request.user),
        "can_request": roles.can_work_queue(request.user),
        "unknown": invoice.open_exceptions().filter(code="VENDOR_UNKNOWN").exists(),
        "in_review": invoice.status == Invoice.Status.NEEDS_REVIEW,
        "suggestions": vendors.suggestions(
            invoice.vendor_name, invoice.vendor_vat_id, invoice.vendor_iban
        ),
        "query": query,
        "results": vendors.search(query),
        "requests": invoice.vendor_requests.select_related("requested_by", "resolved_by"),
    }
    status = 400 if action == "add" else 200
    return render(request, "core/invoice_vendor.html", context, status=status)


@login_required
@require_GET
def vendor_requests(request: HttpRequest):
    """Clerks' vendor requests, open ones first (?state=open|done|all), for the admins who
    add vendors."""
    if not roles.can_add_vendor(request.user):
        raise PermissionDenied
    state = request.GET.get("state", "open")
    rows = VendorRequest.objects.select_related("invoice", "requested_by", "resolved_by", "vendor")
    if state in VendorRequest.State.values:
        rows = rows.filter(state=state)
    rows = rows.order_by("created_at", "pk") if state == "open" else rows
    return render(
        request,
        "core/vendor_requests.html",
        {
            "rows": rows[:200],
            "state": state,
            "open_count": VendorRequest.objects.open().count(),
        },
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
