"""The approval policy a fresh database starts with, who may edit it, and the django-q2
schedule that sends reminders and escalates overdue approvals (approvals.escalation).

Written out here so it means the same thing forever; admins change the policy afterwards
(each change is a new version, kept in the history)."""

from django.db import migrations

from core.grants import grant_permissions

RULES = [
    {
        "name": "Default: one approver",
        "priority": 1000,
        "is_default": True,
        "chain": [
            {"approvers": ["role:approver"], "mode": "any", "sla_hours": 24,
             "escalate_to": "manager"},
        ],
    },
    {
        "name": "25,000 and over: an approver, then an admin",
        "priority": 10,
        "min_amount": "25000.00",
        "chain": [
            {"approvers": ["role:approver"], "mode": "any", "sla_hours": 24,
             "escalate_to": "manager"},
            {"approvers": ["role:admin"], "mode": "any", "sla_hours": 48,
             "escalate_to": "manager"},
        ],
    },
]
GRANTS = {
    "admin": [
        f"approvals.{verb}_{model}"
        for model in ("approvalrule", "delegation", "reportingline")
        for verb in ("add", "change", "view")
    ],
    "compliance": [
        "approvals.view_approvalrule", "approvals.view_delegation",
        "approvals.view_reportingline",
    ],
}
SCHEDULE = "remind and escalate overdue approvals"


def create(apps, schema_editor):
    Rule = apps.get_model("approvals", "ApprovalRule")
    History = apps.get_model("approvals", "HistoricalApprovalRule")
    for rule in RULES:
        row, created = Rule.objects.get_or_create(name=rule["name"], defaults=rule)
        if created:  # version 1 is in the history too, as if saved in the admin
            History.objects.create(
                **{f.attname: getattr(row, f.attname) for f in Rule._meta.concrete_fields},
                history_date=row.updated_at,
                history_type="+",
                history_change_reason="the policy a fresh database starts with",
            )
    grant_permissions(apps, GRANTS)
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SCHEDULE,
        defaults={"func": "approvals.tasks.escalate_approvals", "schedule_type": "I",
                  "minutes": 15},
    )


def remove(apps, schema_editor):
    apps.get_model("approvals", "ApprovalRule").objects.filter(
        name__in=[rule["name"] for rule in RULES]
    ).delete()
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0003_policies_routes_delegation"),
        ("core", "0013_automation_level_role"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
