"""The outbox's schedules (deliveries due, every minute; payments, every 15 minutes), and
who sees and works the Outbox screen: admins retry and cancel, compliance reads."""

from django.db import migrations

from core.grants import grant_permissions

SCHEDULES = {
    "deliver postings to the ERP": ("core.tasks.deliver_postings", 1),
    "read payments from the ERP": ("core.tasks.poll_payments", 15),
}
GRANTS = {
    "admin": ["core.view_outboxmessage", "core.change_outboxmessage"],
    "compliance": ["core.view_outboxmessage"],
}


def create(apps, schema_editor):
    for name, (func, minutes) in SCHEDULES.items():
        apps.get_model("django_q", "Schedule").objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": minutes}
        )
    grant_permissions(apps, GRANTS)


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0015_erp_outbox")]

    operations = [migrations.RunPython(create, remove)]
