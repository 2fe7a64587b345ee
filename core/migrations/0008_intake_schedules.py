from django.db import migrations

SCHEDULES = {
    "poll AP mailboxes": "core.tasks.poll_mailboxes",
    "poll the scanner folder": "core.tasks.poll_intake_folder",
}


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": "I", "minutes": 1}
        )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0007_intake_channels")]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
