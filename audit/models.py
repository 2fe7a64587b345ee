"""The append-only, hash-chained audit log.

Each event stores the SHA-256 of its own canonical JSON and the hash of the event before it,
so changing or deleting any past row breaks every hash after it (see audit.chain.verify).
Rows are never updated or deleted: the model refuses it, and on PostgreSQL a trigger does too.
"""

from django.db import models

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")

    def for_invoice(self, invoice_id):
        return self.filter(invoice_id=invoice_id).order_by("id")


class AuditEvent(models.Model):
    created_at = models.DateTimeField()
    # Who or what decided: a username, or "system:<component>" for automated steps.
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    # A plain id, not a foreign key: the audit app depends on nothing of ours, and the
    # trail must outlive whatever it describes.
    invoice_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.action} by {self.actor}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they cannot be deleted.")

    @property
    def summary(self) -> str:
        """The one line a timeline shows: the reason given, or the file concerned."""
        return str(self.payload.get("reason") or self.payload.get("file") or "")

    @property
    def is_system(self):
        return self.actor.startswith("system:")
