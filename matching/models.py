"""Tolerances as data, and the record of every match."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models import Invoice, Vendor
from matching import engine


class ToleranceRule(models.Model):
    """How far an invoice may differ from its order. One global rule, and rules for a
    vendor, an item category, or a vendor's category: the most specific applies. Each
    change raises the version, and every match records the versions it used."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, null=True, blank=True)
    category = models.CharField(max_length=64, blank=True, help_text="Item category")
    price_percent = models.DecimalField(
        max_digits=7, decimal_places=3, default=Decimal("0.5"), help_text="Of the unit price"
    )
    price_absolute = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal("0.01"), help_text="Per unit"
    )
    quantity_percent = models.DecimalField(
        max_digits=7, decimal_places=3, default=Decimal(0), help_text="Of the ordered quantity"
    )
    total_absolute = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text="Header totals, and freight or surcharges that were not ordered",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        # One rule per scope: per vendor and category, and per category without a vendor
        # (the global rule is the one with neither).
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "category"],
                condition=models.Q(vendor__isnull=False),
                name="one_tolerance_per_vendor_scope",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=models.Q(vendor__isnull=True),
                name="one_tolerance_per_shared_scope",
            ),
        ]

    def __str__(self):
        return self.facts().label

    def save(self, *args, **kwargs):
        if self.pk:
            self.version += 1
        self.updated_at = timezone.now()
        super().save(*args, **kwargs)

    def clean(self):
        for name in ("price_percent", "price_absolute", "quantity_percent", "total_absolute"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                raise ValidationError({name: "A tolerance cannot be negative."})

    @property
    def scope(self) -> str:
        if self.vendor_id and self.category:
            return "vendor+category"
        return "vendor" if self.vendor_id else ("category" if self.category else "global")

    def facts(self) -> engine.ToleranceRule:
        return engine.ToleranceRule(
            id=self.pk,
            version=self.version,
            scope=self.scope,
            vendor_id=self.vendor_id,
            category=self.category,
            price_percent=self.price_percent,
            price_absolute=self.price_absolute,
            quantity_percent=self.quantity_percent,
            total_absolute=self.total_absolute,
        )


class MatchRun(models.Model):
    """One run of the engine over an invoice: what it was matched against, which lines
    paired, which tolerance versions applied, and what it found."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="match_runs")
    created_at = models.DateTimeField(default=timezone.now)
    purchase_orders = models.JSONField(default=list)
    found_by = models.CharField(max_length=20, blank=True)  # "number", "vendor and amount"
    line_matches = models.JSONField(default=list)
    tolerances = models.JSONField(default=list)
    findings = models.JSONField(default=list)
    clean = models.BooleanField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"match of invoice {self.invoice_id} at {self.created_at:%Y-%m-%d %H:%M}"
