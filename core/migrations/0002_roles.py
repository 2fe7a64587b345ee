"""The four roles as groups with their permissions.

The permission lists are written out here (not imported) so this migration means the same
thing forever; later changes to roles come as new migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "clerk": [
        "core.view_invoice", "core.change_invoice", "core.upload_document",
        "core.view_document", "core.view_vendor", "core.view_purchaseorder",
        "core.view_goodsreceipt",
    ],
    "approver": [
        "core.view_invoice", "core.approve_invoice", "core.view_document", "core.view_vendor",
        "core.view_purchaseorder", "core.view_goodsreceipt",
    ],
    "compliance": [
        "core.view_invoice", "core.view_document", "core.view_vendor",
        "core.view_purchaseorder", "core.view_goodsreceipt", "audit.view_auditevent",
    ],
    "admin": [
        "core.view_invoice", "core.change_invoice", "core.upload_document",
        "core.approve_invoice", "core.view_document",
        "core.add_vendor", "core.change_vendor", "core.view_vendor",
        "core.add_purchaseorder", "core.change_purchaseorder", "core.view_purchaseorder",
        "core.add_goodsreceipt", "core.change_goodsreceipt", "core.view_goodsreceipt",
        "audit.view_auditevent",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
