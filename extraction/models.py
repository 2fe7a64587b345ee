from django.db import models
from simple_history.models import HistoricalRecords

from core.models import Vendor


class VendorProfile(models.Model):
    """What clerks' corrections taught about one vendor's documents.

    `hints` maps a field name to where its value stands: the label beside or above it, on
    which side, and the value's shape, e.g.
    {"invoice_number": {"label": "beleg-kennung", "where": "right", "shape": "AA-9999-9999",
                        "learned_from": 42}};
    and under "skip_lines" the rows clerks removed from its lines (extraction.learning),
    {"skip_lines": {"rows": ["zwischensumme seite 9"], "learned_from": 43}}.
    Admins can read and edit it in the Django admin; deleting a hint forgets it.
    """

    vendor = models.OneToOneField(
        Vendor, on_delete=models.CASCADE, related_name="extraction_profile"
    )
    hints = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    def __str__(self):
        return f"Extraction profile of {self.vendor}"
