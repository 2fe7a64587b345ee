"""Approvals given on an invoice, one per approver: an invoice that needs two (bank
details changed) is approved once two different people have said yes."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import Invoice


class Approval(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "user"], name="one_approval_per_person")
        ]

    def __str__(self):
        return f"{self.user} approved invoice {self.invoice_id}"


class UsedLink(models.Model):
    """An approve or reject link from an email, once used: a link decides once."""

    nonce = models.CharField(max_length=32, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"link {self.nonce} used {self.used_at:%Y-%m-%d %H:%M}"
