"""Compliance's screens: the audit log's state and exports, an invoice's audit pack, field
history of what decided invoices, and the KPIs. Read-only, for those who may read the
audit log (compliance, admins)."""

import csv
import hashlib
import io
from datetime import date, datetime, time, timedelta

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from approvals.models import ApprovalRule, Delegation
from audit import charts, kpis
from audit.models import AuditEvent, ChainCheck
from core import audit_log, exception_codes, exports, field_history
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
    """The audit log's filters: the list on the screen and both downloads take the same."""

    actor = forms.CharField(
        required=False, max_length=150, widget=forms.TextInput({"list": "audit-actors"}),
        help_text="a username, or system:<component>",
    )  # fmt: skip
    action = forms.CharField(
        required=False, max_length=64, label="Event type",
        widget=forms.TextInput({"list": "audit-actions"}),
        help_text="e.g. invoice.approved, or invoice. for all",
    )  # fmt: skip
    invoice = forms.CharField(
        required=False, max_length=64, help_text="its number, or #id"
    )  # fmt: skip

    field_order = ["start", "end", "actor", "action", "invoice", "vendor"]

    def filters(self) -> dict:
        data = dict(self.cleaned_data)
        data["vendor"] = data["vendor"].pk if data["vendor"] else None
        return data


EVENTS_PER_PAGE = 50


@login_required
@require_GET
def audit_home(request):
    """The event log, newest first, a page at a time, filtered as the export is."""
    _must_read_audit(request)
    form = ExportForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    rows = exports.events_for(filters).order_by("-id")
    page = Paginator(rows, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit.html",
        {
            "form": form,
            "page": page,
            "rows": audit_log.rows(page.object_list),
            "filtered": any(filters.values()),
            "actors": audit_log.known_actors(),
            "actions": audit_log.known_actions(),
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
        return render(request, "core/audit.html", {"form": form, "checks": [], "events": 0,
                      "rows": [], "filtered": True}, status=400)  # fmt: skip
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
                "by": field_history.person(row.history_user) if row.history_user else "",
                "username": row.history_user.get_username() if row.history_user else "",
                "changes": field_history.changes(row),
                "created": row.prev_record is None,
            }
        )
    return render(
        request,
        "core/history.html",
        {
            "record": record,
            "kind": kind,
            "versions": versions,
            "title": model._meta.verbose_name,
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


def _report(request) -> tuple[KpiForm, kpis.Report]:
    """The KPIs for the period and vendor chosen in the query string. The dashboard, its
    four charts and the CSV each ask for the same report: it is kept for a minute under
    the query, the time zone and the newest event's id, so one page view reads the log
    once and a new event is seen at once."""
    form = KpiForm(request.GET or None)
    start = end = vendor = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        vendor = form.cleaned_data["vendor"]
    zone = timezone.get_current_timezone()
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    chosen = sorted((k, v) for k, v in request.GET.items() if k in KpiForm.base_fields)
    key = "kpis:" + hashlib.sha256(f"{zone}|{newest}|{chosen}".encode()).hexdigest()

    def compute() -> kpis.Report:
        return kpis.compute(
            _events(),
            vendor_of=_vendors(),
            start=datetime.combine(start, time.min, zone) if start else None,
            end=datetime.combine(end + timedelta(days=1), time.min, zone) if end else None,
            now=timezone.now(),
            sla_hours=settings.QUEUE_SLA_HOURS / 2,
            vendor=vendor.name if vendor else None,
            zone=zone,
        )

    return form, cache.get_or_set(key, compute, timeout=60)


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
    codes = sorted({code for week in report.weeks for code in week.exception_rate_by_code})
    return render(
        request,
        "core/kpis.html",
        {
            "form": form,
            "report": report,
            "definitions": kpis.DEFINITIONS,
            "query": request.GET.urlencode(),
            "today": date.today(),
            "charts": charts.CHARTS,
            "codes": codes,
            "weeks": [(week, _by_code(week, codes)) for week in report.weeks],
        },
    )


def _by_code(week: kpis.Week, codes: list[str]) -> list[float | None]:
    """The week's rate for each code in `codes` (0 where none; None when nothing arrived)."""
    return [week.exception_rate_by_code.get(c, 0.0) if week.received else None for c in codes]


@login_required
@require_GET
@csp_replace({"style-src": ["'unsafe-inline'"]})
def kpi_chart(request, name: str):
    """One trend chart of the dashboard as an SVG image (audit.charts). Its CSP lets the
    styles pygal writes inside the SVG apply; an image runs no script, and the page that
    shows it keeps the site's policy."""
    _must_read_audit(request)
    if name not in charts.CHARTS:
        raise Http404
    _, report = _report(request)
    codes = {code for week in report.weeks for code in week.exception_rate_by_code}
    svg = charts.render(
        name, report.weeks, labels={code: exception_codes.label(code) for code in codes}
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


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
