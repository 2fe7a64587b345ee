"""The Outbox screen: postings to the ERP that wait or failed, with retry and cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.erp import posting
from core.models import OutboxMessage


@login_required
@require_GET
def outbox(request):
    if not request.user.has_perm("core.view_outboxmessage"):
        raise PermissionDenied
    state = request.GET.get("state", "")
    open_states = [OutboxMessage.State.FAILED, OutboxMessage.State.PENDING,
                   OutboxMessage.State.SENDING]  # fmt: skip
    rows = OutboxMessage.objects.select_related("invoice", "invoice__vendor")
    rows = (
        rows.filter(state=state)
        if state in OutboxMessage.State.values
        else rows.filter(state__in=open_states)
    )
    counts = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    return render(
        request,
        "core/outbox.html",
        {
            "rows": rows[:200],
            "state": state,
            "tabs": [(v, label, counts.get(v, 0)) for v, label in OutboxMessage.State.choices],
            "can_change": request.user.has_perm("core.change_outboxmessage"),
        },
    )


@login_required
@require_POST
def outbox_act(request, pk: int):
    if not request.user.has_perm("core.change_outboxmessage"):
        raise PermissionDenied
    message = get_object_or_404(OutboxMessage, pk=pk)
    action = request.POST.get("action")
    if action == "retry":
        posting.retry(message, request.user)
        messages.success(request, f"Posting {message.idempotency_key} will be sent again now.")
    elif action == "cancel":
        reason = request.POST.get("reason", "").strip()
        if not reason:
            messages.error(request, "Say why the posting is cancelled (booked by hand, say).")
        else:
            posting.cancel(message, request.user, reason)
            messages.success(request, f"Posting {message.idempotency_key} cancelled.")
    else:
        messages.error(request, "Choose retry or cancel.")
    return redirect("outbox")
