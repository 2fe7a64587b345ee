from core.models.documents import Document
from core.models.erp import IdempotentRequest, OutboxMessage
from core.models.intake import ApiToken, Mailbox, MailMessage
from core.models.invoices import (
    TRANSITIONS,
    IllegalTransition,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceException,
    InvoiceLine,
    InvoiceTaxSubtotal,
    Status,
)
from core.models.masterdata import (
    AutomationLevel,
    GoodsReceipt,
    GoodsReceiptLine,
    OwnIdentity,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)

__all__ = [
    "TRANSITIONS",
    "ApiToken",
    "AutomationLevel",
    "Document",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "IdempotentRequest",
    "IllegalTransition",
    "Invoice",
    "InvoiceAllowanceCharge",
    "InvoiceException",
    "InvoiceLine",
    "InvoiceTaxSubtotal",
    "MailMessage",
    "Mailbox",
    "OutboxMessage",
    "OwnIdentity",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Status",
    "Vendor",
]
