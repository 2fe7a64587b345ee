"""The ERP side: the transactional outbox of postings, and replays of API requests sent
with an Idempotency-Key."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models.invoices import Invoice


class OutboxMessage(models.Model):
    """One posting of an approved invoice to the ERP, written in the transaction that
    approved it and delivered by a worker (core.erp.outbox), exactly once per key."""

    class State(models.TextChoices):
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "being sent"
        DELIVERED = "delivered"
        FAILED = "failed", "failed (needs a person)"
        CANCELLED = "cancelled"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="postings")
    idempotency_key = models.CharField(max_length=100, unique=True)
    connector = models.CharField(max_length=20)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    document_number = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]
        constraints = [
            # One live posting per invoice: a second approval cannot post it twice.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=~Q(state="cancelled"),
                name="one_live_posting_per_invoice",
            )
        ]

    def __str__(self):
        return f"posting {self.idempotency_key} ({self.state})"


class IdempotentRequest(models.Model):
    """The answer given to a POST with an Idempotency-Key, replayed when the same token
    sends the same key again (and refused when it sends another body under it)."""

    token = models.ForeignKey("core.ApiToken", on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    path = models.CharField(max_length=300)
    request_sha256 = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="one_answer_per_key")]

    def __str__(self):
        return f"{self.key} -> {self.status}"
