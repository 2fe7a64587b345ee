"""The four roles as groups with their permissions.

The permission lists are written out here (not imported) so this migration means the same
thing forever; later changes to roles come as new migrations.
"""

from django.db import migrations

from core.grants import grant_permissions

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
    grant_permissions(apps, ROLE_PERMISSIONS)


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
