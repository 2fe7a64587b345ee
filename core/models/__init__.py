from core.models.documents import Document
from core.models.invoices import (
    TRANSITIONS,
    IllegalTransition,
    Invoice,
    InvoiceException,
    InvoiceLine,
    Status,
)
from core.models.masterdata import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)

__all__ = [
    "TRANSITIONS",
    "Document",
    "GoodsReceipt",
    "GoodsReceiptLine",
    "IllegalTransition",
    "Invoice",
    "InvoiceException",
    "InvoiceLine",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Status",
    "Vendor",
]
