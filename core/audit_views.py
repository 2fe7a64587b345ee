"""Compliance's screens: the audit log's state and exports, an invoice's audit pack, field
history of what decided invoices, and the KPIs. Read-only, for those who may read the
audit log (compliance, admins)."""

import csv
import io
from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from approvals.models import ApprovalRule, Delegation
from audit import kpis
from audit.models import AuditEvent, ChainCheck
from core import exports
from core.models import Invoice, PurchaseOrder, Vendor
from matching.models import ToleranceRule

# What compliance may read the field history of, by the name in the URL.
HISTORIES = {
    "invoice": Invoice,
    "vendor": Vendor,
    "purchase-order": PurchaseOrder,
    "tolerance": ToleranceRule,
    "approval-rule": ApprovalRule,
    "delegation": Delegation,
}


def _must_read_audit(request) -> None:
    if not request.user.has_perm("audit.view_auditevent"):
        raise PermissionDenied


class KpiForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    vendor = forms.ModelChoiceField(Vendor.objects.order_by("name"), required=False)


class ExportForm(KpiForm):
    actor = forms.CharField(required=False, max_length=150)
    action = forms.CharField(required=False, max_length=64, help_text="e.g. invoice.approved")

    def filters(self) -> dict:
        data = dict(self.cleaned_data)
        data["vendor"] = data["vendor"].pk if data["vendor"] else None
        return data


@login_required
@require_GET
def audit_home(request):
    _must_read_audit(request)
    return render(
        request,
        "core/audit.html",
        {
            "form": ExportForm(),
            "checks": ChainCheck.objects.all()[:10],
            "events": AuditEvent.objects.count(),
        },
    )


@login_required
@require_GET
def events_export(request, fmt: str):
    _must_read_audit(request)
    if fmt not in ("csv", "jsonl"):
        raise Http404
    form = ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "core/audit.html", {"form": form, "checks": [], "events": 0},
                      status=400)  # fmt: skip
    filters = form.filters()
    exports.record_export(filters, fmt, request.user)
    response = StreamingHttpResponse(
        exports.stream_events(exports.events_for(filters), fmt),
        content_type="text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson",
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    suffix = "csv" if fmt == "csv" else "jsonl"
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.{suffix}"'
    return response


@login_required
@require_GET
def audit_pack(request, pk: int):
    _must_read_audit(request)
    invoice = get_object_or_404(Invoice.objects.select_related("document"), pk=pk)
    name, data = exports.audit_pack(invoice, user=request.user)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def history(request, kind: str, pk: int):
    """Every saved version of one record, newest first, with what changed from what."""
    _must_read_audit(request)
    model = HISTORIES.get(kind)
    if model is None:
        raise Http404
    record = get_object_or_404(model, pk=pk)
    versions = []
    rows = list(record.history.order_by("-history_id").select_related("history_user")[:200])
    for row in rows:
        versions.append(
            {
                "row": row,
                "by": row.history_user.get_username() if row.history_user else "system",
                "changes": exports.field_changes(row),
                "created": row.prev_record is None,
            }
        )
    return render(
        request,
        "core/history.html",
        {"record": record, "kind": kind, "versions": versions, "title": model._meta.verbose_name},
    )


def _report(request) -> tuple[KpiForm, kpis.Report]:
    form = KpiForm(request.GET or None)
    start = end = vendor = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        vendor = form.cleaned_data["vendor"]
    zone = timezone.get_current_timezone()
    report = kpis.compute(
        _events(),
        vendor_of=_vendors(),
        start=datetime.combine(start, time.min, zone) if start else None,
        end=datetime.combine(end + timedelta(days=1), time.min, zone) if end else None,
        now=timezone.now(),
        sla_hours=settings.QUEUE_SLA_HOURS / 2,
        vendor=vendor.name if vendor else None,
    )
    return form, report


def _events():
    rows = AuditEvent.objects.filter(invoice_id__isnull=False).order_by("id")
    for pk, created_at, actor, action, invoice_id, payload in rows.values_list(
        "id", "created_at", "actor", "action", "invoice_id", "payload"
    ).iterator(chunk_size=5000):
        yield kpis.Event(pk, created_at, actor, action, invoice_id, payload)


def _vendors() -> dict[int, str]:
    return {
        pk: name or read or ""
        for pk, name, read in Invoice.objects.values_list("pk", "vendor__name", "vendor_name")
    }


@login_required
@require_GET
def kpi_dashboard(request):
    _must_read_audit(request)
    form, report = _report(request)
    return render(
        request,
        "core/kpis.html",
        {
            "form": form,
            "report": report,
            "definitions": kpis.DEFINITIONS,
            "query": request.GET.urlencode(),
            "today": date.today(),
        },
    )


@login_required
@require_GET
def kpi_csv(request):
    _must_read_audit(request)
    _, report = _report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kpi", "key", "value"])
    writer.writerows(report.rows())
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ledgerline-kpis.csv"'
    return response
