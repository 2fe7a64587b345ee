"""The forms of the Lines card: correcting, adding and removing lines, and coding them."""

import hashlib
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseModelFormSet, formset_factory, modelformset_factory

from core.coding import clean_code
from core.models import InvoiceLine
from extraction.line_corrections import (
    LINE_AMOUNT_TOLERANCE,
    LINE_FIELDS,
    expected_amount,
    line_adjustment,
)


def vat_category_choices() -> list[tuple[str, str]]:
    """UNTDID 5305 categories (BT-151) as the invoice screen names them."""
    from core.views import VAT_CATEGORIES  # the screen's names; imported late (cycle)

    return [("", "—")] + [(code, f"{code} · {name}") for code, name in VAT_CATEGORIES.items()]


# The numbers of a line checked against each other: quantity x unit price = net amount.
NUMBERS = {"quantity", "unit_price", "amount"}


class DecimalInput(forms.TextInput):
    """A number as a clerk writes it: 25.0000 as 25.00, 10.0000 as 10, 19.000 as 19 (at
    least `places` decimals, the trailing zeros beyond them dropped)."""

    def __init__(self, places: int = 0, attrs=None):
        super().__init__({"inputmode": "decimal", **(attrs or {})})
        self.places = places

    def format_value(self, value):
        if isinstance(value, Decimal):
            plain = f"{value.normalize():f}"
            whole, _, decimals = plain.partition(".")
            decimals = decimals.ljust(self.places, "0")
            return f"{whole}.{decimals}" if decimals else whole
        return super().format_value(value)


CHANGED_MEANWHILE = (
    "This line changed meanwhile: someone else saved or removed it after you opened the "
    "form. Open the lines again to see it."
)


def line_version(line: InvoiceLine) -> str:
    """A fingerprint of a stored line's correctable values (LINE_FIELDS), 16 hex digits: the
    lines form carries it for each line as it was shown, so a form opened before another
    clerk's save cannot put the values of then back."""
    text = "\x1f".join(str(getattr(line, name)) for name in LINE_FIELDS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class LineForm(forms.ModelForm):
    """One line: Django's fields parse the numbers (as the header form does); quantity x
    unit price is checked against the line net amount (BT-131), which is computed when
    left empty. `seen` is the line_version shown: a line changed or removed since is
    refused (CHANGED_MEANWHILE), a form posted without it is not checked."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = InvoiceLine
        fields = LINE_FIELDS
        widgets = {
            "description": forms.TextInput(),
            "quantity": DecimalInput(),
            "unit_price": DecimalInput(places=2),
            "amount": DecimalInput(places=2, attrs={"title": "Line net amount (BT-131)"}),
            "tax_rate": DecimalInput(),
        }
        labels = {
            "unit_price": "Unit price",
            "amount": "Net amount",
            "tax_rate": "VAT %",
            "tax_category": "VAT category",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = vat_category_choices()
        read = self.instance.tax_category
        if read and read not in dict(choices):  # as the sender wrote it: kept, not refused
            choices.append((read, f"{read} · as read, not an EN 16931 category"))
        self.fields["tax_category"] = forms.ChoiceField(
            label="VAT category", choices=choices, required=False
        )
        for name in ("quantity", "unit_price", "amount", "tax_rate"):
            self.fields[name].localize = False
        if self.instance.pk:
            self.fields["seen"].initial = line_version(self.instance)

    def clean_tax_rate(self):
        rate = self.cleaned_data.get("tax_rate")
        if rate is not None and not Decimal(0) <= rate <= Decimal(100):
            raise ValidationError("A VAT rate is a percentage between 0 and 100.")
        return rate

    def clean(self):
        data = super().clean()
        seen = data.get("seen")
        if seen and (self.instance.pk is None or seen != line_version(self.instance)):
            raise ValidationError(CHANGED_MEANWHILE)
        if self.errors:
            return data
        quantity, price, amount = data.get("quantity"), data.get("unit_price"), data.get("amount")
        adjustment = line_adjustment(self.instance)
        try:
            expected = expected_amount(quantity, price, adjustment)
        except InvalidOperation:  # beyond what rounds to the cent (28 digits)
            self.add_error("amount", "Quantity \u00d7 unit price is too large for a line amount.")
            return data
        # A line as read is left as it is when none of its numbers is touched (a price per
        # 100 pieces, say): correcting its description is not refused for that.
        touched = not self.instance.pk or bool(NUMBERS & set(self.changed_data))
        if amount is None and expected is not None:
            data["amount"] = expected  # computed from quantity x unit price
        elif touched and expected is not None and abs(expected - amount) > LINE_AMOUNT_TOLERANCE:
            with_adjustments = " with its allowances and charges" if adjustment else ""
            self.add_error(
                "amount",
                f"Quantity \u00d7 unit price{with_adjustments} is {expected:,.2f}, not "
                f"{amount:,.2f}. Correct one of them, or empty the amount to have it computed.",
            )
        if touched and data.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the net amount, or the quantity and unit price.")
        if not (data.get("description") or data.get("item_code")):
            self.add_error("description", "Enter a description or an item code.")
        return data


class BaseLineFormSet(BaseModelFormSet):
    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
        ]
        if self.queryset.exists() and not kept:
            raise ValidationError("An invoice keeps at least one line; correct it instead.")


LineFormSet = modelformset_factory(
    InvoiceLine, form=LineForm, formset=BaseLineFormSet, extra=1, can_delete=True
)


class CodingForm(forms.Form):
    """The coding of one line (line id hidden); `required` when the line is counted on an
    invoice without a purchase order (matching's NOT_CODED)."""

    line = forms.IntegerField(widget=forms.HiddenInput)
    gl_account = forms.CharField(label="GL account", max_length=32, required=False)
    cost_center = forms.CharField(max_length=32, required=False)
    tax_code = forms.CharField(max_length=16, required=False)

    def __init__(self, *args, required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.required_coding = required
        for name in ("gl_account", "cost_center", "tax_code"):
            self.fields[name].widget.attrs.update({"size": 10, "autocomplete": "off"})

    def clean_gl_account(self):
        return clean_code(self.cleaned_data["gl_account"], "GL account")

    def clean_cost_center(self):
        return clean_code(self.cleaned_data["cost_center"], "cost center")

    def clean_tax_code(self):
        return clean_code(self.cleaned_data["tax_code"], "tax code")

    def clean(self):
        data = super().clean()
        if self.required_coding and not self.errors:
            for name, label in (("gl_account", "GL account"), ("cost_center", "cost center")):
                if not data.get(name):
                    self.add_error(name, f"Enter the {label}.")
        return data


CodingFormSet = formset_factory(CodingForm, extra=0)
