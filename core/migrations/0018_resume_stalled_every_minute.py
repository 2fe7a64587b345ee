"""Crash recovery under two minutes: the "resume stalled invoices" schedule runs every
minute (it ran every five), beside a 45-second claim lease renewed by a heartbeat
(core.pipeline), so a dead worker's invoice is queued again within the lease plus a minute."""

from django.db import migrations


def every_minute(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="resume stalled invoices",
        defaults={"func": "core.tasks.resume_stalled", "schedule_type": "I", "minutes": 1},
    )


def every_five_minutes(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="resume stalled invoices").update(
        minutes=5
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0017_own_identity")]

    operations = [migrations.RunPython(every_minute, every_five_minutes)]
