"""Admins move vendors on the trust ladder (approvals.trust); nobody else does."""

from django.db import migrations

from core.grants import grant_permissions

GRANTS = {"admin": ["core.change_automation_level"]}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    apps.get_model("auth", "Permission").objects.filter(
        codename="change_automation_level"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0012_trust_ladder_and_coding")]

    operations = [migrations.RunPython(grant, revoke)]
