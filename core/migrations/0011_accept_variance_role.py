"""Clerks and admins may accept a variance (with a reason); approvers decide, compliance
reads. Written out here, like 0002, so it means the same thing forever."""

from django.db import migrations

from core.grants import grant_permissions

GRANTS = {"clerk": ["core.accept_variance"], "admin": ["core.accept_variance"]}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(codename="accept_variance").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0010_work_queue")]

    operations = [migrations.RunPython(grant, revoke)]
