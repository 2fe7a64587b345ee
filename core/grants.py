"""Granting permissions to roles from a data migration: the permissions are created
first, since Django only creates them after all migrations ran.

Migrations call this (core 0002, 0011, 0013, 0016; approvals 0004), each with its own
written-out list; keep what it does the same, or those migrations change meaning."""

from django.contrib.auth.management import create_permissions


def grant_permissions(apps, grants: dict[str, list[str]]) -> None:
    """`grants`: role (group) name -> ["app_label.codename", ...]."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
