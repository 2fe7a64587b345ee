from core.models.documents import Document
from core.models.erp import IdempotentRequest, OutboxMessage
from core.models.intake import ApiToken, LeftOutFile, Mailbox, MailMessage
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
    ExchangeRate,
    GoodsReceipt,
    GoodsReceiptLine,
    OwnIdentity,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from core.models.vendor_requests import VendorRequest

__all__ = [
    "TRANSITIONS",
    "ApiToken",
    "AutomationLevel",
    "Document",
    "ExchangeRate",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "IdempotentRequest",
    "IllegalTransition",
    "Invoice",
    "InvoiceAllowanceCharge",
    "InvoiceException",
    "InvoiceLine",
    "InvoiceTaxSubtotal",
    "LeftOutFile",
    "MailMessage",
    "Mailbox",
    "OutboxMessage",
    "OwnIdentity",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Status",
    "Vendor",
    "VendorRequest",
]
