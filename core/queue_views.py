"""The work queue: everything that waits for a person (exceptions and approvals).

Filters (exception code, vendor, amount, age, assignee, status, held), sorting, counts per
exception code, age against the SLA, assignment and bulk actions. Pages by keyset (the
last row's sort value and id), so page 2,000 costs what page 1 does; rows come with their
vendor, assignee and open exceptions in three queries. Every form and link works without
JavaScript; with htmx the first page refreshes itself so new items appear.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from approvals import triage, waiting
from core import action_results, roles
from core.formatting import format_amount
from core.models import Invoice, InvoiceException, Status, Vendor

PAGE_SIZE = 50
# What a row shows; the JSON of confidences and provenance stays in the database.
ROW_FIELDS = (
    "id", "status", "vendor__name", "vendor_name", "invoice_number", "total_amount",
    "currency", "created_at", "hold_reason", "assignee__username",
)  # fmt: skip
# Counts over the whole queue may lag this many seconds; every page asks for them.
COUNTS_SECONDS = 10
SORTS = {
    "oldest": ("id", False),
    "newest": ("id", True),
    "amount_high": ("total_amount", True),
    "amount_low": ("total_amount", False),
}


def queue_rows(params, user):
    """The queue's invoices for these filters, in the chosen order (not yet paged)."""
    rows = Invoice.objects.filter(status__in=triage.QUEUE)
    status = params.get("status", "")
    if status in triage.QUEUE:
        rows = rows.filter(status=status)
    code = params.get("code", "")
    if code:
        rows = rows.filter(
            Exists(
                InvoiceException.objects.filter(
                    invoice=OuterRef("pk"), code=code, resolved_at__isnull=True
                )
            )
        )
    vendor = params.get("vendor", "").strip()
    if vendor:
        # The vendor master is small: match it first (the planner then knows the ids and
        # reads their invoices by the vendor index); the name as read counts only for
        # invoices no vendor was recognised for.
        matching = Vendor.objects.filter(name__icontains=vendor)
        vendor_ids = list(matching.values_list("pk", flat=True))
        rows = rows.filter(
            Q(vendor__in=vendor_ids) | Q(vendor__isnull=True, vendor_name__icontains=vendor)
        )
    for name, lookup in (("min", "total_amount__gte"), ("max", "total_amount__lte")):
        amount = _decimal(params.get(name, ""))
        if amount is not None:
            rows = rows.filter(**{lookup: amount})
    days = _int(params.get("older_than_days", ""))
    if days:
        rows = rows.filter(created_at__lte=timezone.now() - timedelta(days=days))
    assignee = params.get("assignee", "")
    if assignee == "me":
        rows = rows.filter(assignee=user)
    elif assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    elif _int(assignee):
        rows = rows.filter(assignee_id=_int(assignee))
    held = params.get("held", "")
    if held == "only":
        rows = rows.exclude(hold_reason="")
    elif held != "all":
        rows = rows.filter(hold_reason="")
    field, descending = SORTS.get(params.get("sort", ""), SORTS["oldest"])
    if field != "id":
        # No amount sorts as zero, so the keyset never meets a NULL.
        rows = rows.annotate(sort_value=Coalesce(field, Value(Decimal(0))))
        field = "sort_value"
    order = [f"-{field}", "-id"] if descending else [field, "id"]
    return rows.order_by(*order), field, descending


def _page(rows, field: str, descending: bool, after: str):
    """PAGE_SIZE rows after the cursor `value_id` (keyset: no OFFSET to scan past)."""
    value, _, last_id = after.rpartition("_")
    last_id = _int(last_id)
    if last_id:
        if field == "id":
            rows = rows.filter(id__lt=last_id) if descending else rows.filter(id__gt=last_id)
        elif (bound := _decimal(value)) is not None:
            beyond = "lt" if descending else "gt"
            rows = rows.filter(
                Q(**{f"{field}__{beyond}": bound}) | Q(**{field: bound, f"id__{beyond}": last_id})
            )
    page = list(
        rows.select_related("vendor", "assignee")
        .only(*ROW_FIELDS)
        .prefetch_related(
            Prefetch(
                "exceptions",
                queryset=InvoiceException.objects.filter(resolved_at__isnull=True),
                to_attr="open_findings",
            )
        )[: PAGE_SIZE + 1]
    )
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    cursor = ""
    if more:
        last = page[-1]
        cursor = f"{getattr(last, field) if field != 'id' else ''}_{last.pk}"
    return page, cursor


def queue_tabs(request: HttpRequest) -> dict:
    """Which part of the queue shows (issue 19): `view` "mine" (the invoices whose current
    approval level waits for this user, approvals.waiting) or "all". Approvers who do not
    work the queue open on "mine"; clerks and admins on everything, as before; `?view=`
    chooses. Returns {"view", "offered" (whether the tabs show), "mine_ids", "mine_count"}."""
    user = request.user
    offered = roles.can_approve(user)
    mine_ids = waiting.invoice_ids_waiting_for(user) if offered else []
    default = "mine" if offered and not roles.can_work_queue(user) else "all"
    view = request.GET.get("view", default)
    if view not in ("mine", "all") or not offered:
        view = "all"
    return {"view": view, "offered": offered, "mine_ids": mine_ids, "mine_count": len(mine_ids)}


def home(request: HttpRequest):
    """Where "/" and a sign-in lead: approvers who do not work the queue to what waits for
    them (the work queue opens on it); everyone else to the invoice list, as before."""
    user = request.user
    if user.is_authenticated and roles.can_approve(user) and not roles.can_work_queue(user):
        return redirect("work_queue")
    return redirect("invoice_list")


@login_required
@require_GET
def work_queue(request: HttpRequest):
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    rows, field, descending = queue_rows(request.GET, request.user)
    tabs = queue_tabs(request)
    if tabs["view"] == "mine":
        rows = rows.filter(pk__in=tabs["mine_ids"])
    page, cursor = _page(rows, field, descending, request.GET.get("after", ""))
    now = timezone.now()
    sla = timedelta(hours=settings.QUEUE_SLA_HOURS)
    for invoice in page:
        # Prepared here, once per row: the template only places them (50 rows a page).
        age = now - invoice.created_at
        invoice.sla = "late" if age >= sla else ("due" if age >= sla / 2 else "fresh")
        invoice.age_text = _age(age)
        invoice.vendor_label = (invoice.vendor.name if invoice.vendor else "") or (
            invoice.vendor_name or "—"
        )
        invoice.amount_text = format_amount(invoice.total_amount, invoice.currency)
        invoice.assignee_label = invoice.assignee.get_username() if invoice.assignee else "—"
    keep = request.GET.copy()
    keep.pop("after", None)
    context = {
        "rows": page,
        "cursor": cursor,
        "first_page": not request.GET.get("after"),
        "query": keep.urlencode(),
        "filters": request.GET,
        "code_counts": cache.get_or_set("queue:code-counts", _code_counts, COUNTS_SECONDS),
        "status_counts": cache.get_or_set("queue:status-counts", _status_counts, COUNTS_SECONDS),
        "assignees": clerks(),
        "sla_hours": settings.QUEUE_SLA_HOURS,
        "can_work": roles.can_work_queue(request.user),
        "tabs": tabs,
        "sorts": [
            ("oldest", "Oldest first"),
            ("newest", "Newest first"),
            ("amount_high", "Largest amount"),
            ("amount_low", "Smallest amount"),
        ],
    }
    template = (
        "core/queue_rows.html" if request.GET.get("fragment") == "rows" else "core/queue.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def queue_bulk(request: HttpRequest):
    """Bulk actions on the ticked rows: assign, mark duplicate, send for approval."""
    if not roles.can_work_queue(request.user):
        raise PermissionDenied
    ids = [i for i in (_int(v) for v in request.POST.getlist("ids")) if i]
    invoices = list(Invoice.objects.filter(pk__in=ids, status__in=triage.QUEUE))
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    done, failed = 0, []
    if action == "assign":
        try:
            done = triage.assign(invoices, _assignee(request.POST), by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_back(request))
    elif action in ("duplicate", "send_for_approval"):
        act = triage.mark_duplicate if action == "duplicate" else triage.send_for_approval
        for invoice in invoices:
            try:
                act(invoice, request.user, comment)
                done += 1
            except ValidationError as exc:
                failed.append(f"#{invoice.pk}: {' '.join(exc.messages)}")
    else:
        messages.error(request, "Choose an action.")
        return redirect(_back(request))
    if not ids:
        messages.error(request, "Tick the invoices to act on first.")
    else:
        messages.success(request, f"{done} of {len(ids)} invoice(s) done.")
    for problem in failed:
        messages.error(request, problem)
    return redirect(_back(request))


def _assignee(form):
    """The person a form names in `assignee` (empty: nobody). Raises ValidationError for
    an id that names no one: assigning must not quietly mean unassigning."""
    raw = form.get("assignee", "").strip()
    if not raw:
        return None
    user = get_user_model().objects.filter(pk=_int(raw)).first() if _int(raw) else None
    if user is None:
        raise ValidationError(f"There is no user #{raw} to assign to.")
    return user


def neighbours(invoice: Invoice, queue: str = "", user=None) -> tuple[int | None, int | None]:
    """The previous and next invoice waiting as this one does (in review, or for approval),
    oldest first and not held: the order a person works through them. `queue` (a status of
    triage.QUEUE) names the queue instead: the one the invoice was in before an action
    moved it on (sent for approval, the next is still the next one in review). For a `user`
    who approves, the approval queue is what waits for them (approvals.waiting), as their
    work queue opens: after deciding one, the next is one they can decide."""
    if queue in triage.QUEUE:
        statuses = [queue]
    else:
        statuses = [invoice.status] if invoice.status in triage.QUEUE else list(triage.QUEUE)
    rows = Invoice.objects.filter(status__in=statuses, hold_reason="")
    if statuses == [Status.PENDING_APPROVAL] and user is not None and roles.can_approve(user):
        rows = rows.filter(pk__in=waiting.invoice_ids_waiting_for(user))
    before = rows.filter(id__lt=invoice.pk).order_by("-id").values_list("pk", flat=True).first()
    after = rows.filter(id__gt=invoice.pk).order_by("id").values_list("pk", flat=True).first()
    return before, after


def _age(age: timedelta) -> str:
    """'3 d', '5 h', '12 min': how long it has waited, as a badge says it."""
    if age >= timedelta(days=1):
        return f"{age.days} d"
    if age >= timedelta(hours=1):
        return f"{age.seconds // 3600} h"
    return f"{max(age.seconds // 60, 0)} min"


def _status_counts() -> dict[str, int]:
    return dict(
        Invoice.objects.filter(status__in=triage.QUEUE)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )


def _code_counts() -> list[tuple[str, int]]:
    counts = (
        InvoiceException.objects.filter(resolved_at__isnull=True, invoice__status__in=triage.QUEUE)
        .values_list("code")
        .annotate(n=Count("invoice_id", distinct=True))
        .order_by("code")
    )
    return list(counts)


def clerks():
    User = get_user_model()
    return (
        User.objects.filter(
            Q(is_superuser=True)
            | Q(
                groups__permissions__codename="change_invoice",
                groups__permissions__content_type__app_label="core",
            )
        )
        .filter(is_active=True)
        .distinct()
        .order_by("username")
    )


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return (
        target if target.startswith("/") and not target.startswith("//") else reverse("work_queue")
    )


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value.replace(",", ".")) if value.strip() else None
    except InvalidOperation:
        return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def invoice_act(request: HttpRequest, pk: int):
    """One triage action on one invoice (the buttons of the invoice screen).

    The same invoice stays open with a message saying what was done and the state it left
    (core.action_results); the redirect carries the queue the person was working
    (`?from=needs_review`) so that the screen offers the next invoice of that queue as a
    separate step. A form that names where it came from (`next`, a path on this site, as
    the work queue's forms do) goes back there instead."""
    from approvals.decisions import send_back_to_matching
    from core.tasks import enqueue_invoice

    if not roles.can_work_queue(request.user):
        raise PermissionDenied
    invoice = Invoice.objects.filter(pk=pk).first()
    if invoice is None:
        raise Http404
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")
    user = request.user
    before = action_results.snapshot(invoice)
    try:
        if action == "take":
            triage.assign([invoice], user, by=user)
        elif action == "assign":
            triage.assign([invoice], _assignee(request.POST), by=user)
        elif action == "hold":
            triage.hold(invoice, user, comment)
        elif action == "release":
            triage.release(invoice, user)
        elif action == "accept":
            triage.accept_variance(
                invoice, user, request.POST.get("code", ""), request.POST.get("reason_code", ""),
                comment,
            )  # fmt: skip
        elif action == "send_for_approval":
            triage.send_for_approval(invoice, user, comment)
        elif action == "duplicate":
            triage.mark_duplicate(invoice, user, comment)
        elif action == "not_duplicate":
            triage.release_duplicate(invoice, user, comment)
        elif action == "confirm_reading":
            triage.confirm_reading(invoice, user, comment)
        elif action == "reject_to_vendor":
            triage.reject_to_vendor(invoice, user, comment)
        elif action == "rematch":
            send_back_to_matching(invoice, user, comment.strip() or "Matched again on request")
            enqueue_invoice(invoice.pk)
        else:
            messages.error(request, "Unknown action.")
            return _after_action(request, invoice, "")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _after_action(request, invoice, "")
    invoice.refresh_from_db()
    done = _DONE.get(action, "done")
    if invoice.status in action_results.IN_PROGRESS:  # the worker decides the outcome
        action_results.remember(request, invoice, before, _SETTLED.get(action, done))
        messages.info(
            request, f"Invoice #{invoice.pk}: {done}; this page shows the outcome when it is done."
        )
    else:
        messages.success(
            request, f"Invoice #{invoice.pk}: {done}. {action_results.describe(before, invoice)}"
        )
    return _after_action(request, invoice, before["status"])


def _after_action(request: HttpRequest, invoice: Invoice, queue: str):
    """Where an action on one invoice returns: the page the form came from when it says so
    (`next`), else the same invoice; after a done action with the queue it was in
    (`?from=`), where "Next invoice" goes on ("" after a refused one: nothing was done)."""
    if request.POST.get("next"):
        return redirect(_back(request))
    return redirect(invoice_url(invoice.pk, queue))


def invoice_url(pk: int, queue: str = "") -> str:
    """The invoice screen after an action: `?from=<status>` names the queue the person was
    working (needs_review, pending_approval), where "Next invoice" then goes on."""
    url = reverse("invoice_detail", args=[pk])
    return f"{url}?from={queue}" if queue in triage.QUEUE else url


_DONE = {
    "take": "now on your list",
    "assign": "assigned",
    "hold": "held",
    "release": "released",
    "accept": "variance accepted",
    "send_for_approval": "sent for approval",
    "duplicate": "marked a duplicate",
    "not_duplicate": "released as not a duplicate",
    "confirm_reading": "its fields confirmed against the e-invoice",
    "reject_to_vendor": "sent back to the vendor",
    "rematch": "being matched again",
}
# What is said once the worker has done an action's work (core.action_results.settled).
_SETTLED = {"rematch": "matched again"}
