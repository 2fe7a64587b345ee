"""Master data the ERP owns: vendors, purchase orders and goods receipts; and the
company's own identities and the exchange rates, which an admin keeps."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from core.identifiers import compact_identifier, normalise_po_number
from core.money import QUANTITY, RATE, UNIT_PRICE, cents, currency_field
from core.validators import visible_lines, visible_text


class MatchMode(models.TextChoices):
    THREE_WAY = "three_way", "three-way (invoice, order, goods receipt)"
    TWO_WAY = "two_way", "two-way (invoice, order)"


class AutomationLevel(models.TextChoices):
    """The trust ladder (approvals.trust): how much of a vendor's invoices goes without a
    person. Every vendor starts at manual and is promoted on its record by an admin."""

    MANUAL = "manual", "manual (every invoice reviewed)"
    ASSISTED = "assisted", "assisted (the system proposes, a clerk confirms)"
    AUTO = "auto", "auto (matched within tolerance goes straight through)"


class Vendor(models.Model):
    name = models.CharField(max_length=200, validators=[visible_text])
    vat_id = models.CharField("VAT id", max_length=32, blank=True, db_index=True)
    iban = models.CharField("IBAN", max_length=34, blank=True, db_index=True)
    address = models.TextField(blank=True, validators=[visible_lines])
    external_id = models.CharField(
        max_length=64, unique=True, null=True, blank=True, help_text="The vendor's id in the ERP"
    )
    currency = currency_field(default="EUR")
    # Services and subscriptions have no goods receipt: their invoices match two-way.
    match_mode = models.CharField(
        max_length=16, choices=MatchMode.choices, default=MatchMode.THREE_WAY
    )
    # Changed only through approvals.trust (promote, demote), which audits the reason.
    automation_level = models.CharField(
        max_length=16, choices=AutomationLevel.choices, default=AutomationLevel.MANUAL
    )
    automation_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [
            ("change_automation_level", "Can move a vendor on the automation ladder"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.vat_id = compact_identifier(self.vat_id)
        self.iban = compact_identifier(self.iban)
        super().save(*args, **kwargs)


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    number = models.CharField(max_length=64, unique=True)
    # The number as invoices are matched to it (normalise_po_number), set on save.
    normalised_number = models.CharField(max_length=64, db_index=True, editable=False, default="")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    currency = currency_field()
    order_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    match_mode = models.CharField(
        max_length=16,
        choices=MatchMode.choices,
        blank=True,
        help_text="Empty: the vendor's setting.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # The ordering department, for approval policies by department.
    department = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-order_date", "number"]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.normalised_number = normalise_po_number(self.number) or self.number.upper()
        super().save(*args, **kwargs)

    @property
    def three_way(self) -> bool:
        return (self.match_mode or self.vendor.match_mode) == MatchMode.THREE_WAY

    @property
    def net_total(self):
        return sum((line.net_amount for line in self.lines.all()), start=Decimal(0))


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveIntegerField()
    item_code = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(**QUANTITY)
    unit_price = models.DecimalField(**UNIT_PRICE)
    tax_rate = models.DecimalField(**RATE, help_text="Percent, e.g. 19.000")
    # The item category, for tolerances set per category.
    category = models.CharField(max_length=64, blank=True, db_index=True)
    cost_center = models.CharField(max_length=32, blank=True)
    gl_account = models.CharField("GL account", max_length=32, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["purchase_order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "line_no"], name="unique_po_line_no")
        ]

    def __str__(self):
        return f"{self.purchase_order.number}/{self.line_no} {self.description}"

    @property
    def net_amount(self):
        return cents(self.quantity * self.unit_price)


class GoodsReceipt(models.Model):
    number = models.CharField(max_length=64, unique=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, related_name="receipts"
    )
    received_on = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "number"]

    def __str__(self):
        return self.number


class GoodsReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines"
    )
    quantity = models.DecimalField(**QUANTITY)
    history = HistoricalRecords()

    def __str__(self):
        return f"{self.receipt.number}: {self.quantity} x {self.po_line.description}"


class OwnIdentity(models.Model):
    """One of the company's own names, VAT ids, IBANs or addresses, beyond those in the
    settings (COMPANY_NAME, COMPANY_VAT_IDS, ...): the buyer on every invoice received,
    which extraction must never take for the vendor (extraction.parties)."""

    class Kind(models.TextChoices):
        NAME = "name", "name"
        VAT_ID = "vat_id", "VAT id"
        IBAN = "iban", "IBAN"
        ADDRESS = "address", "address"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(
        max_length=300,
        validators=[visible_text],
        help_text="An address as printed, its lines separated by commas: "
        "'Industriestr. 5, 80331 München'.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="e.g. the subsidiary")
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "value"]
        verbose_name_plural = "own identities"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="unique_own_identity")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):
        self.value = self.value.strip()
        if self.kind in (self.Kind.VAT_ID, self.Kind.IBAN):
            self.value = compact_identifier(self.value)
        super().save(*args, **kwargs)


def company_currency() -> str:
    """The company currency (settings.COMPANY_CURRENCY): the default base of a new rate."""
    return settings.COMPANY_CURRENCY


class ExchangeRate(models.Model):
    """What one unit of `currency` is worth in `base_currency` (the company currency when
    it was recorded) from `valid_from` on, until the next rate of the same pair: 1 USD =
    0.9259 EUR is currency USD, base EUR, rate 0.9259. Approval routing converts an
    invoice's total with the rate valid on its invoice date (BT-2), or the latest before
    it (core.exchange_rates). Kept by an admin or imported from a reference-rate file
    (`manage.py import_exchange_rates FILE`, the ECB's euro reference rates among them);
    each change is audited and kept in the history."""

    currency = currency_field()
    base_currency = currency_field(default=company_currency)
    rate = models.DecimalField(
        max_digits=24,
        decimal_places=10,
        help_text="What one unit of the currency is worth in the base currency "
        "(1 USD = 0.9259 EUR: 0.9259).",
    )
    valid_from = models.DateField(help_text="Used for invoices dated on or after this day.")
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the rate comes from, e.g. 'ECB euro reference rate' or a treasury memo.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["currency", "base_currency", "-valid_from"]
        get_latest_by = "valid_from"
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "base_currency", "valid_from"], name="unique_exchange_rate"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self):
        rate = f"{self.rate.normalize():f}"
        return f"1 {self.currency} = {rate} {self.base_currency} from {self.valid_from}"

    def save(self, *args, **kwargs):
        self.currency = self.currency.strip().upper()
        self.base_currency = self.base_currency.strip().upper()
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        for name in ("currency", "base_currency"):
            code = (getattr(self, name) or "").strip().upper()
            setattr(self, name, code)
            if len(code) != 3 or not code.isascii() or not code.isalpha():
                errors[name] = "An ISO 4217 code: three letters, e.g. USD."
        if not errors and self.currency == self.base_currency:
            errors["currency"] = "A currency has no rate to itself."
        if self.rate is not None and self.rate <= 0:
            errors["rate"] = "A rate is above zero."
        if errors:
            raise ValidationError(errors)
