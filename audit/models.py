"""The append-only, hash-chained audit log.

Each event stores the SHA-256 of its own canonical JSON and the hash of the event before it,
so changing or deleting any past row breaks every hash after it (see audit.chain.verify).
Rows are never updated or deleted: the model refuses it, and on PostgreSQL a trigger does too.
"""

from django.db import models

from audit import kpis

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


def _short(value) -> str:
    """A tolerance rule as "global v3 (price 0.5%)", anything else as itself."""
    if isinstance(value, dict) and "scope" in value:
        return f"{value['scope']} v{value.get('version')} (price {value.get('price_percent')}%)"
    return str(value)


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

    # The inputs that decided an automated step, in the words the timeline shows them with.
    EXPLAINED = {
        "policy": "policy",
        "rule": "rule",
        "rule_version": "rule version",
        "automation_level": "vendor automation",
        "amount_company_currency": "amount in company currency",
        "always_human_above": "a person above",
        "format": "read as",
        "vendor_recognised_by": "vendor recognised by",
        "tolerances": "tolerances",
        "connector": "ERP connector",
        "document_number": "ERP number",
        "attempts": "attempts",
        "overridden_exceptions": "exceptions overridden",
        "accepted_variance": "variance accepted",
        "reason_code": "reason code",
    }

    @property
    def explanation(self) -> list[tuple[str, str]]:
        """(label, value) pairs of the inputs that decided this event, for the timeline."""
        inputs = self.payload.get("inputs") if isinstance(self.payload, dict) else None
        if not isinstance(inputs, dict):
            return []
        pairs = []
        for key, label in self.EXPLAINED.items():
            value = inputs.get(key)
            if value in (None, "", [], {}, False):
                continue
            if isinstance(value, list):
                value = ", ".join(_short(v) for v in value)
            pairs.append((label, str(value)))
        return pairs

    @property
    def is_system(self):
        return self.actor.startswith("system:")

    @property
    def is_machine(self) -> bool:
        """Written by a machine (the pipeline, the ERP, an API client), not by a person."""
        return not kpis.is_person(self.actor)

    @property
    def title(self) -> str:
        """The event's kind in words: "invoice.fields_corrected" as "Fields corrected",
        "document.received_again" as "Document received again"."""
        area, _, what = self.action.partition(".")
        words = (what if area == "invoice" and what else f"{area} {what}").replace("_", " ")
        return words.strip().capitalize()

    @property
    def comment(self) -> str:
        """What the person who decided wrote (an approver's comment, a clerk's on an
        accepted variance, a released duplicate or a confirmed reading), from the payload
        or its inputs; "" when there is none or the summary already says it word for word
        (a rejection's reason is its comment)."""
        payload = self.payload if isinstance(self.payload, dict) else {}
        inputs = payload.get("inputs") if isinstance(payload.get("inputs"), dict) else {}
        comment = str(payload.get("comment") or inputs.get("comment") or "").strip()
        return "" if comment in self.summary else comment


class ChainCheck(models.Model):
    """One verification of the whole chain (scheduled daily, or `manage.py verify_audit`)."""

    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    events = models.PositiveBigIntegerField()
    first_broken_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=16, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["-checked_at", "-id"]
        get_latest_by = "checked_at"

    def __str__(self):
        return self.reason
