"""The page an approval email's link opens: a confirmation, and the decision on POST."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from approvals import decisions, email_links
from core.tasks import enqueue_invoice


@require_http_methods(["GET", "POST"])
def email_decision(request, token: str):
    """GET shows what would be decided and asks to confirm; only POST decides."""
    try:
        link = email_links.read(token, request.user)
    except email_links.LinkRefused as exc:
        return render(request, "approvals/link_refused.html", {"reason": str(exc)}, status=410)
    context = {"link": link, "invoice": link.invoice, "token": token}
    if request.method == "GET":
        return render(request, "approvals/confirm.html", context)
    comment = request.POST.get("comment", "").strip()
    try:
        email_links.use(link)
        if link.action == "approve":
            done = decisions.approve(link.invoice, link.approver, comment or "Approved by email")
            if link.invoice.status == "approved":
                enqueue_invoice(link.invoice.pk)  # posting runs in the worker
        else:
            decisions.reject(link.invoice, link.approver, comment)
            done = True
    except email_links.LinkRefused as exc:
        return render(request, "approvals/link_refused.html", {"reason": str(exc)}, status=410)
    except (ValidationError, PermissionDenied) as exc:
        reason = " ".join(getattr(exc, "messages", [str(exc)]))
        return render(request, "approvals/link_refused.html", {"reason": reason}, status=409)
    context["done"] = done
    return render(request, "approvals/decided.html", context)
