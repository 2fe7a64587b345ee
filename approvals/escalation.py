"""Approvals never get stuck: reminders, then escalation, per level of the route.

Run by a django-q2 schedule (approvals migration 0004) and `manage.py escalate_approvals`.
For each open route of an invoice waiting for approval, measured from when its current
level started:
- once APPROVAL_REMIND_AT of the level's SLA has passed, the people it waits for (and
  their delegates) get one reminder;
- once the whole SLA has passed, the level escalates: to the manager of each person it
  waits for (approvals.ReportingLine), or, when the level says "next" or nobody has a
  manager, to the people of the next level, or, at the last level, to the admins. The
  people added may decide the level (the record says whom they stood in for); the SLA
  starts again for them.
Every reminder and escalation is an audit event on the invoice.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from approvals import chains
from approvals.models import ApprovalRoute, ReportingLine
from audit import chain
from core import roles
from core.models import Status

ACTOR = "system:escalation"


@dataclass
class Pass:
    reminded: list[int] = field(default_factory=list)  # invoice ids
    escalated: list[int] = field(default_factory=list)


def run(now=None) -> Pass:
    now = now or timezone.now()
    done = Pass()
    routes = ApprovalRoute.objects.filter(
        state=ApprovalRoute.State.OPEN, invoice__status=Status.PENDING_APPROVAL
    ).values_list("pk", flat=True)
    for route_id in routes:
        with transaction.atomic():
            route = (
                ApprovalRoute.objects.select_for_update(of=("self",))
                .select_related("invoice__vendor")
                .filter(pk=route_id, state=ApprovalRoute.State.OPEN)
                .first()
            )
            if route is None:
                continue
            sla = timedelta(hours=route.current["sla_hours"])
            if now >= route.level_started_at + sla:
                escalate(route, now)
                done.escalated.append(route.invoice_id)
            elif route.reminded_at is None and now >= route.level_started_at + sla * float(
                settings.APPROVAL_REMIND_AT
            ):
                remind(route, now)
                done.reminded.append(route.invoice_id)
    return done


def remind(route: ApprovalRoute, now) -> None:
    level = route.current
    due = route.level_started_at + timedelta(hours=level["sla_hours"])
    waiting = chains.waiting_for(route)
    route.reminded_at = now
    route.save(update_fields=["reminded_at"])
    chain.record(
        "approval.reminded",
        actor=ACTOR,
        invoice_id=route.invoice_id,
        payload={
            "reason": f"Reminder: level {route.level + 1} waits for {', '.join(waiting)}; "
            f"due {due:%Y-%m-%d %H:%M} UTC",
            "level": route.level + 1,
            "waiting_for": waiting,
            "due": due.isoformat(),
            "sla_hours": level["sla_hours"],
        },
    )
    opening = f"Reminder: this approval is due {due:%Y-%m-%d %H:%M} UTC"
    transaction.on_commit(lambda: _mail(route.pk, opening))


def escalate(route: ApprovalRoute, now) -> None:
    level = route.current
    waiting = chains.waiting_for(route)
    overdue_hours = round(
        (now - route.level_started_at).total_seconds() / 3600 - level["sla_hours"], 1
    )
    added = _escalation_targets(route, waiting)
    level["added"] = level["added"] + added
    route.levels[route.level] = level
    route.escalations += 1
    route.level_started_at = now  # a new SLA for the people added
    route.reminded_at = None
    route.save(update_fields=["levels", "escalations", "level_started_at", "reminded_at"])
    to = sorted({entry["user"] for entry in added})
    chain.record(
        "approval.escalated",
        actor=ACTOR,
        invoice_id=route.invoice_id,
        payload={
            "reason": f"Level {route.level + 1} passed its SLA of {level['sla_hours']} h "
            f"({overdue_hours} h over) waiting for {', '.join(waiting) or 'nobody'}; "
            + (f"escalated to {', '.join(to)}" if to else "nobody further to escalate to"),
            "level": route.level + 1,
            "sla_hours": level["sla_hours"],
            "overdue_hours": overdue_hours,
            "waiting_for": waiting,
            "escalated_to": added,
        },
    )
    if to:
        opening = (
            f"Escalated: level {route.level + 1} passed its SLA waiting for "
            f"{', '.join(waiting)}; you may decide it now"
        )
        transaction.on_commit(lambda: _mail(route.pk, opening, to))


def _escalation_targets(route: ApprovalRoute, waiting: list[str]) -> list[dict]:
    """Who is added: managers of the late people, else the next level, else admins;
    never someone who may decide the level already, and only people who hold the approve
    permission (a manager who may not approve is passed over, issue 16)."""
    level = route.current
    known = set(chains.eligible(level)) | {entry["user"] for entry in level["added"]}
    may_approve = set(roles.approvers().values_list("username", flat=True))
    targets = []
    if level["escalate_to"] == "manager":
        lines = ReportingLine.objects.filter(
            user__username__in=waiting, manager__is_active=True
        ).select_related("user", "manager")
        for line in lines:
            targets.append(
                {
                    "user": line.manager.get_username(),
                    "for": line.user.get_username() if level["mode"] == "all" else None,
                    "why": f"manager of {line.user.get_username()}, escalated after "
                    f"{level['sla_hours']} h",
                }
            )
    targets = [
        entry for entry in targets if entry["user"] not in known and entry["user"] in may_approve
    ]
    if targets:
        return targets
    if route.level + 1 < len(route.levels):
        people = chains.eligible(route.levels[route.level + 1])
        why = f"next level's approver, escalated after {level['sla_hours']} h"
    else:
        people = sorted(chains.people("role:admin"))
        why = f"admin, escalated after {level['sla_hours']} h at the last level"
    # At an all-of level each late person's place is filled separately.
    stands_for = waiting if level["mode"] == "all" and waiting else [None]
    return [
        {"user": name, "for": late, "why": why}
        for name in people
        if name not in known and name in may_approve
        for late in stands_for
    ]


def _mail(route_id: int, opening: str, usernames=None) -> None:
    from approvals.email_links import notify_route

    route = ApprovalRoute.objects.select_related("invoice__vendor").get(pk=route_id)
    people = None
    if usernames is not None:
        found = get_user_model().objects.filter(username__in=usernames, is_active=True)
        people = list(found.exclude(email=""))
    notify_route(route, people=people, opening=opening)
