"""Master data from the ERP: vendors, purchase orders with lines, goods receipts with lines,
keyed by the ERP's ids, from the API and from files alike.

Each record is checked field by field (`Invalid` carries {field: [messages]}, lines as
`lines.N.field`), then upserted: a record that is the same as stored changes nothing and
writes nothing, so sending it again is harmless. Every change is an audit event naming the
source (the API token, or the file and its line) and each changed field, from and to.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.db import transaction

from audit import changes as audited
from core.identifiers import compact_identifier
from core.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
from core.models.masterdata import MatchMode
from core.money import QUANTITY, RATE, UNIT_PRICE
from core.validators import visible_lines, visible_text

CREATED, UPDATED, UNCHANGED = audited.CREATED, audited.UPDATED, "unchanged"
# The ERP's keys: up to 64 characters, no slash (they are URL path segments), no control
# characters, not "." or "..".
KEY_PATTERN = r"^(?!\.{1,2}$)[^/\x00-\x1f\x7f]{1,64}$"
KEY = re.compile(KEY_PATTERN)


class Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Outcome:
    kind: str  # "vendor", "purchase_order", "receipt"
    key: str  # the ERP's id
    result: str  # created, updated, unchanged
    changes: dict

    def as_dict(self) -> dict:
        return {"key": self.key, "result": self.result, "changed": sorted(self.changes)}


def _decimal(spec: dict, **kw) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=spec["max_digits"], decimal_places=spec["decimal_places"], **kw
    )


def _key() -> forms.RegexField:
    said = "A key has 1 to 64 characters, without a slash or control characters."
    return forms.RegexField(KEY_PATTERN, error_messages={"invalid": said})


class VendorForm(forms.Form):
    external_id = _key()
    name = forms.CharField(max_length=200, validators=[visible_text])
    vat_id = forms.CharField(max_length=32, required=False)
    iban = forms.CharField(max_length=34, required=False)
    address = forms.CharField(max_length=1000, required=False, validators=[visible_lines])
    currency = forms.RegexField(r"^[A-Z]{3}$", required=False, error_messages={
        "invalid": "A currency is three capital letters (ISO 4217), e.g. EUR."})  # fmt: skip
    match_mode = forms.ChoiceField(choices=MatchMode.choices, required=False)


class PurchaseOrderForm(forms.Form):
    number = _key()
    vendor_external_id = forms.CharField(max_length=64)
    currency = forms.RegexField(r"^[A-Z]{3}$", error_messages={
        "invalid": "A currency is three capital letters (ISO 4217), e.g. EUR."})  # fmt: skip
    order_date = forms.DateField(input_formats=["%Y-%m-%d"])
    status = forms.ChoiceField(choices=PurchaseOrder.Status.choices, required=False)
    department = forms.CharField(max_length=64, required=False)
    match_mode = forms.ChoiceField(choices=MatchMode.choices, required=False)


class PurchaseOrderLineForm(forms.Form):
    line_no = forms.IntegerField(min_value=1, max_value=100_000)
    item_code = forms.CharField(max_length=64, required=False)
    description = forms.CharField(max_length=300)
    quantity = _decimal(QUANTITY, min_value=Decimal(0))
    unit_price = _decimal(UNIT_PRICE, min_value=Decimal(0))
    tax_rate = _decimal(RATE, min_value=Decimal(0), max_value=Decimal(100))
    category = forms.CharField(max_length=64, required=False)
    cost_center = forms.CharField(max_length=32, required=False)
    gl_account = forms.CharField(max_length=32, required=False)


class ReceiptForm(forms.Form):
    number = _key()
    purchase_order = forms.CharField(max_length=64)
    received_on = forms.DateField(input_formats=["%Y-%m-%d"])


class ReceiptLineForm(forms.Form):
    line_no = forms.IntegerField(min_value=1, max_value=100_000, help_text="The PO line")
    quantity = _decimal(QUANTITY, min_value=Decimal(0))


class PaymentForm(forms.Form):
    paid_on = forms.DateField(input_formats=["%Y-%m-%d"])
    reference = forms.CharField(max_length=200, required=False)


def clean_payment(data) -> dict:
    return _clean(PaymentForm, data)


def _clean(form_class, data, prefix: str = "") -> dict:
    if not isinstance(data, dict):
        raise Invalid({prefix.rstrip(".") or "body": ["Expected a JSON object."]})
    errors = {}
    for name, field in form_class.base_fields.items():
        if name in data and not _right_type(field, data[name]):
            errors[f"{prefix}{name}"] = [
                f"Expected {_type_name(field)}, not {_json_type(data[name])}."
            ]
    if errors:
        raise Invalid(errors)
    # Numbers may come as JSON numbers; forms read text.
    form = form_class({name: data[name] if isinstance(data[name], str) else str(data[name])
                       for name in form_class.base_fields if name in data})  # fmt: skip
    if not form.is_valid():
        raise Invalid(
            {f"{prefix}{field}": [e["message"] for e in errors]
             for field, errors in form.errors.get_json_data().items()}
        )  # fmt: skip
    return form.cleaned_data


def _right_type(field: forms.Field, value) -> bool:
    """As the OpenAPI schema says: text is a string, whole numbers are integers, amounts
    are numbers or strings; never true/false, null, a list or an object."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(field, forms.DecimalField):
        return isinstance(value, int | float | str)
    if isinstance(field, forms.IntegerField):
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, str)


def _type_name(field: forms.Field) -> str:
    if isinstance(field, forms.DecimalField):
        return "a number"
    return "a whole number" if isinstance(field, forms.IntegerField) else "text"


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _lines(form_class, data) -> list[dict]:
    lines = data.get("lines", []) if isinstance(data, dict) else []
    if not isinstance(lines, list):
        raise Invalid({"lines": ["Expected a list of lines."]})
    errors, cleaned, seen = {}, [], set()
    for n, line in enumerate(lines):
        try:
            row = _clean(form_class, line, prefix=f"lines.{n}.")
        except Invalid as exc:
            errors.update(exc.errors)
            continue
        if row["line_no"] in seen:
            errors[f"lines.{n}.line_no"] = [f"Line {row['line_no']} is given twice."]
        seen.add(row["line_no"])
        cleaned.append(row)
    if errors:
        raise Invalid(errors)
    return cleaned


def _apply(obj, values: dict) -> dict:
    """Set changed values on obj; returns {field: {from, to}} of what changed."""
    changes = {}
    for name, value in values.items():
        before = getattr(obj, name)
        if value in (None, "") and before in (None, ""):
            continue
        if before != value:
            changes[name] = {"from": audited.plain(before), "to": audited.plain(value)}
            setattr(obj, name, value)
    return changes


def _audit(kind: str, key: str, result: str, changes: dict, source: str) -> None:
    if result != UNCHANGED:
        audited.record_change(kind, key, result, changes, actor=source, source=source)


def _with_lines(form_class, line_form, data, what: str) -> tuple[dict, list[dict]]:
    """The record and its lines checked as data (no lookups); every error at once."""
    errors, row, lines = {}, {}, []
    try:
        row = _clean(form_class, data)
    except Invalid as exc:
        errors.update(exc.errors)
    try:
        lines = _lines(line_form, data)
    except Invalid as exc:
        errors.update(exc.errors)
    if "lines" not in errors and isinstance(data, dict) and not data.get("lines"):
        errors["lines"] = [f"A {what} has at least one line."]
    if errors:
        raise Invalid(errors)
    return row, lines


def check_vendor(data) -> dict:
    return _clean(VendorForm, data)


def check_purchase_order(data) -> tuple[dict, list[dict]]:
    return _with_lines(PurchaseOrderForm, PurchaseOrderLineForm, data, "purchase order")


def check_receipt(data) -> tuple[dict, list[dict]]:
    return _with_lines(ReceiptForm, ReceiptLineForm, data, "goods receipt")


def _save(obj, values: dict, *, created: bool, source: str) -> dict:
    """Set the values; save (with the reason in its history) only when something changed."""
    changes = _apply(obj, values)
    if created or changes:
        obj._change_reason = f"{'created' if created else 'updated'} by {source}"[:100]
        obj.save()
    return changes


def _save_lines(stored: dict, lines: list[dict], new_line, values_of) -> dict:
    """Upsert lines by line number; {"lines.N": changes or "created"} for those that moved."""
    changes = {}
    for line in lines:
        row = stored.get(line["line_no"]) or new_line(line)
        line_changes = _apply(row, values_of(line))
        if row.pk is None or line_changes:
            # Saved one by one: a receipt line wakes the invoices waiting for it
            # (matching.signals), as one typed in would.
            row.save()
            changes[f"lines.{line['line_no']}"] = line_changes or "created"
    return changes


def _done(kind: str, key: str, created: bool, changes: dict, source: str) -> Outcome:
    result = CREATED if created else (UPDATED if changes else UNCHANGED)
    _audit(kind, key, result, changes, source)
    return Outcome(kind, key, result, changes)


@transaction.atomic
def upsert_vendor(data, *, source: str) -> Outcome:
    row = check_vendor(data)
    key = row.pop("external_id")
    row["currency"] = row["currency"] or "EUR"
    row["match_mode"] = row["match_mode"] or MatchMode.THREE_WAY
    # The vendor normalises its ids on save; compare as it would store them.
    row["vat_id"], row["iban"] = compact_identifier(row["vat_id"]), compact_identifier(row["iban"])
    vendor = Vendor.objects.select_for_update().filter(external_id=key).first()
    created = vendor is None
    changes = _save(vendor or Vendor(external_id=key), row, created=created, source=source)
    return _done("vendor", key, created, changes, source)


@transaction.atomic
def upsert_purchase_order(data, *, source: str) -> Outcome:
    row, lines = check_purchase_order(data)
    vendor = Vendor.objects.filter(external_id=row.pop("vendor_external_id")).first()
    if vendor is None:
        said = f"No vendor {data['vendor_external_id']!r}: send the vendor first."
        raise Invalid({"vendor_external_id": [said]})
    key = row.pop("number")
    row["status"] = row["status"] or PurchaseOrder.Status.OPEN
    row["vendor_id"] = vendor.pk
    order = PurchaseOrder.objects.select_for_update().filter(number=key).first()
    created = order is None
    order = order or PurchaseOrder(number=key)
    changes = _save(order, row, created=created, source=source)
    changes |= _save_lines(
        {line.line_no: line for line in order.lines.all()},
        lines,
        lambda line: PurchaseOrderLine(purchase_order=order, line_no=line["line_no"]),
        lambda line: line,
    )
    return _done("purchase_order", key, created, changes, source)


@transaction.atomic
def upsert_receipt(data, *, source: str) -> Outcome:
    row, lines = check_receipt(data)
    order = PurchaseOrder.objects.filter(number=row["purchase_order"]).first()
    if order is None:
        said = f"No purchase order {row['purchase_order']!r}: send the order first."
        raise Invalid({"purchase_order": [said]})
    po_lines = {line.line_no: line for line in order.lines.all()}
    errors = {
        f"lines.{n}.line_no": [f"Purchase order {order.number} has no line {line['line_no']}."]
        for n, line in enumerate(lines)
        if line["line_no"] not in po_lines
    }
    if errors:
        raise Invalid(errors)
    key = row["number"]
    receipt = GoodsReceipt.objects.select_for_update().filter(number=key).first()
    if receipt is not None and receipt.purchase_order_id != order.pk:
        other = receipt.purchase_order.number
        raise Invalid({"purchase_order": [f"Receipt {key} belongs to purchase order {other}."]})
    created = receipt is None
    receipt = receipt or GoodsReceipt(number=key, purchase_order=order)
    changes = _save(receipt, {"received_on": row["received_on"]}, created=created, source=source)
    changes |= _save_lines(
        {r.po_line.line_no: r for r in receipt.lines.select_related("po_line")},
        lines,
        lambda line: GoodsReceiptLine(receipt=receipt, po_line=po_lines[line["line_no"]]),
        lambda line: {"quantity": line["quantity"]},
    )
    return _done("receipt", key, created, changes, source)


UPSERTS = {
    "vendors": upsert_vendor,
    "purchase_orders": upsert_purchase_order,
    "receipts": upsert_receipt,
}
CHECKS = {
    "vendors": check_vendor,
    "purchase_orders": check_purchase_order,
    "receipts": check_receipt,
}
