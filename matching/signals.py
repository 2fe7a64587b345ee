"""Waiting for goods: a goods receipt line saved (admin, API, import) re-matches the
invoices held only by NOT_RECEIVED on its purchase order, once the receipt commits."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from core.models import GoodsReceiptLine


@receiver(post_save, sender=GoodsReceiptLine, dispatch_uid="matching.receipt_arrived")
def receipt_arrived(sender, instance: GoodsReceiptLine, created: bool, **kwargs):
    from matching.services import rematch_waiting_for

    purchase_order_id = instance.po_line.purchase_order_id
    transaction.on_commit(lambda: rematch_waiting_for([purchase_order_id]))
