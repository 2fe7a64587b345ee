from django import forms

from core.models import Invoice
from extraction.types import HEADER_FIELDS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError("Choose at least one file.")
        return files


class UploadForm(forms.Form):
    files = MultipleFileField(
        label="Invoice files",
        help_text="PDF, e-invoice XML (UBL, CII, Factur-X) or scans (PNG, JPEG, TIFF), and "
        "zip files of them; several at once.",
        widget=MultipleFileInput(attrs={"multiple": True}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InvoiceFieldsForm(forms.ModelForm):
    """The header fields a clerk may correct; Django's fields parse dates and amounts."""

    class Meta:
        model = Invoice
        fields = HEADER_FIELDS
        widgets = {
            "invoice_date": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            raise forms.ValidationError("Use the three-letter ISO code, e.g. EUR.")
        return currency
