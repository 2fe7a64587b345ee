"""Clerks and admins may accept a variance (with a reason); approvers decide, compliance
reads. Written out here, like 0002, so it means the same thing forever."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"clerk": ["core.accept_variance"], "admin": ["core.accept_variance"]}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(codename="accept_variance").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0010_work_queue")]

    operations = [migrations.RunPython(grant, revoke)]
