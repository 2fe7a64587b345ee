"""Files left out at intake are kept (LeftOutFile), and the admin role can open every
admin screen the README and the Intake screen send it to (issue 19): Users, Mailboxes,
Vendor profiles, Tolerance rules, the API tokens, the mail record and the match runs.

The grants are written out here (not imported), as in core 0002, so this migration means
the same thing forever.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import core.models.intake
from core.grants import grant_permissions

GRANTS = {
    "admin": [
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "core.add_mailbox",
        "core.change_mailbox",
        "core.view_mailbox",
        "core.view_mailmessage",
        "core.view_apitoken",
        "core.change_apitoken",
        "core.view_ownidentity",
        "core.change_ownidentity",
        "core.view_leftoutfile",
        "extraction.view_vendorprofile",
        "extraction.change_vendorprofile",
        "matching.add_tolerancerule",
        "matching.change_tolerancerule",
        "matching.view_tolerancerule",
        "matching.view_matchrun",
        "approvals.view_approvalroute",
    ],
    "compliance": ["core.view_mailmessage", "core.view_leftoutfile"],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in GRANTS.items():
        group = Group.objects.filter(name=role).first()
        for name in names if group else []:
            app_label, codename = name.split(".")
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0027_vendor_request"),
        ("extraction", "0001_initial"),
        ("matching", "0001_tolerances_and_match_runs"),
        ("approvals", "0005_approval_links_replace_used_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LeftOutFile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("original_name", models.CharField(max_length=255)),
                ("reason", models.TextField()),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("upload", "Upload"),
                            ("email", "Email"),
                            ("folder", "Folder"),
                            ("api", "Api"),
                            ("command", "command line"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "file",
                    models.FileField(
                        blank=True, max_length=300, upload_to=core.models.intake.left_out_path
                    ),
                ),
                ("sha256", models.CharField(blank=True, db_index=True, max_length=64)),
                ("size", models.PositiveBigIntegerField(default=0)),
                ("content_type", models.CharField(blank=True, max_length=100)),
                (
                    "received_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("source", models.JSONField(blank=True, default=dict)),
                (
                    "mail_message",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="left_out_files",
                        to="core.mailmessage",
                    ),
                ),
                (
                    "taken_as",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.document",
                    ),
                ),
                (
                    "received_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-received_at", "-id"],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
