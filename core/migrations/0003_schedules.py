from django.db import migrations


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="resume stalled invoices",
        defaults={"func": "core.tasks.resume_stalled", "schedule_type": "I", "minutes": 5},
    )


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="resume stalled invoices").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
