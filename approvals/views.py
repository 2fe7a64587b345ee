"""Approval screens: the page an approval email's link opens (a confirmation, and the
decision on POST), the vendors on the trust ladder, and out-of-office delegation."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from approvals import decisions, email_links, trust
from approvals.models import Delegation
from audit import chain
from core import roles
from core.models import AutomationLevel, Vendor
from core.models.invoices import actor_name
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
        # The link is spent with the decision, in one transaction: a decision refused
        # (a comment missing, say) leaves the link to be used again. The decision goes
        # through the one rule of the screen (approvals.decisions.check_decision): the
        # comment is the approver's own, never filled in for them.
        with transaction.atomic():
            email_links.use(link)
            if link.action == "approve":
                done = decisions.approve(link.invoice, link.approver, comment)
            else:
                decisions.reject(link.invoice, link.approver, comment)
                done = True
    except email_links.LinkRefused as exc:
        return render(request, "approvals/link_refused.html", {"reason": str(exc)}, status=410)
    except decisions.CommentRequired as exc:
        context |= {"error": " ".join(exc.messages), "comment": comment}
        return render(request, "approvals/confirm.html", context, status=400)
    except (ValidationError, PermissionDenied) as exc:
        reason = " ".join(getattr(exc, "messages", [str(exc)]))
        return render(request, "approvals/link_refused.html", {"reason": reason}, status=409)
    if link.invoice.status == "approved":
        enqueue_invoice(link.invoice.pk)  # posting runs in the worker
    context["done"] = done
    return render(request, "approvals/decided.html", context)


@login_required
@require_GET
def vendor_list(request):
    """Every vendor on the trust ladder: level, clean streak, and suggested promotions."""
    if not request.user.has_perm("core.view_vendor"):
        raise PermissionDenied
    vendors = []
    for vendor in Vendor.objects.order_by("name"):
        record = trust.track_record(vendor)
        vendors.append((vendor, record, trust.suggestion(vendor, record)))
    return render(request, "approvals/vendor_list.html", {"vendors": vendors})


@login_required
@require_http_methods(["GET", "POST"])
def vendor_trust(request, pk: int):
    """A vendor's track record and level; an admin moves it, with a reason."""
    if not request.user.has_perm("core.view_vendor"):
        raise PermissionDenied
    vendor = get_object_or_404(Vendor, pk=pk)
    if request.method == "POST":
        if not trust.can_change_level(request.user):
            raise PermissionDenied
        try:
            trust.set_level(
                vendor,
                request.POST.get("level", ""),
                by=request.user,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"{vendor.name} is now {vendor.get_automation_level_display()}."
            )
        return redirect("vendor_trust", pk=pk)
    record = trust.track_record(vendor)
    return render(
        request,
        "approvals/vendor_trust.html",
        {
            "vendor": vendor,
            "record": record,
            "suggested": trust.suggestion(vendor, record),
            "ladder": AutomationLevel.choices,
            "changes": trust.changes(vendor),
            "can_change": trust.can_change_level(request.user),
        },
    )


class DelegationForm(forms.ModelForm):
    class Meta:
        model = Delegation
        fields = ["delegate", "starts_on", "ends_on", "reason"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.principal = principal
        self.fields["delegate"].queryset = roles.approvers().exclude(pk=principal.pk)


@login_required
@require_http_methods(["GET", "POST"])
def out_of_office(request):
    """An approver names who decides for them while they are away, from when to when."""
    if not roles.can_approve(request.user):
        raise PermissionDenied
    form = DelegationForm(request.POST or None, principal=request.user)
    if request.method == "POST":
        if "end" in request.POST:  # back early: the delegation ends yesterday or is dropped
            delegation = get_object_or_404(
                Delegation, pk=request.POST["end"], principal=request.user
            )
            _end_delegation(delegation, request.user)
            messages.success(request, f"Delegation to {delegation.delegate} ended.")
            return redirect("out_of_office")
        if form.is_valid():
            with transaction.atomic():
                delegation = form.save()
                chain.record(
                    "approval.delegated",
                    actor=actor_name(request.user),
                    payload={
                        "principal": request.user.get_username(),
                        "delegate": delegation.delegate.get_username(),
                        "starts_on": str(delegation.starts_on),
                        "ends_on": str(delegation.ends_on),
                        "reason": delegation.reason,
                    },
                )
            messages.success(
                request,
                f"{delegation.delegate} decides for you from {delegation.starts_on:%Y-%m-%d} "
                f"to {delegation.ends_on:%Y-%m-%d}.",
            )
            return redirect("out_of_office")
    return render(
        request,
        "approvals/out_of_office.html",
        {
            "form": form,
            "given": Delegation.objects.filter(principal=request.user).select_related("delegate"),
            "taken": Delegation.objects.filter(delegate=request.user).select_related("principal"),
            "today": timezone.localdate(),
        },
    )


def _end_delegation(delegation: Delegation, user) -> None:
    today = timezone.localdate()
    with transaction.atomic():
        if delegation.starts_on >= today:
            delegation.delete()
        else:
            delegation.ends_on = today - timedelta(days=1)
            delegation.save(update_fields=["ends_on"])
        chain.record(
            "approval.delegation_ended",
            actor=actor_name(user),
            payload={"principal": user.get_username(), "delegate": str(delegation.delegate)},
        )
