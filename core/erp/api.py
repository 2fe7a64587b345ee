"""The ERP's side of API v1: master data in (vendors, purchase orders, goods receipts,
one at a time with PUT or in bulk with POST), payments back, and the OpenAPI schema.

Keys are the ERP's own ids. PUT is idempotent by nature; a POST sent with an
`Idempotency-Key` header is answered once and replayed after (`Idempotent-Replayed: true`).
Invalid input is a 4xx with messages per field (`lines.2.quantity`), never a 5xx. Every
change is audited with the token that made it.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from core.api import _error, api_view
from core.erp import bounded_json, masterdata
from core.erp.openapi import MAX_BULK, schema
from core.erp.posting import record_payment
from core.models import (
    GoodsReceipt,
    IdempotentRequest,
    Invoice,
    PurchaseOrder,
    Status,
    Vendor,
)

MASTERDATA = "masterdata"  # scope: read and write vendors, purchase orders, receipts
PAYMENTS = "payments"  # scope: report invoices paid


def openapi(request: HttpRequest):
    """The OpenAPI 3 document of API v1 (no token needed to read it)."""
    if request.method != "GET":
        response = _error(405, "Use GET here")
        response["Allow"] = "GET"
        return response
    return JsonResponse(schema(request.build_absolute_uri("/")[:-1]))


def _body(request: HttpRequest):
    """The JSON body, or a JsonResponse saying what is wrong with it: 415 for another
    content type, 400 for JSON that is invalid or beyond core.erp.bounded_json's limits."""
    if request.content_type != "application/json":
        return _error(415, "Send JSON: Content-Type: application/json")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(400, f"The body is not valid JSON: {exc}")
    try:
        return bounded_json.loads(text)
    except ValueError as exc:
        return _error(400, f"The body is not valid JSON: {exc}")


def _source(request: HttpRequest) -> str:
    return f"api:{request.api_token.name}"


def _idempotent(view):
    """Answer a POST with an Idempotency-Key once; replay that answer for the same key and
    body; refuse the key for another body."""

    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 200:
            return _error(400, "An Idempotency-Key has at most 200 characters")
        digest = hashlib.sha256(request.body).hexdigest()
        stored = IdempotentRequest.objects.filter(token=request.api_token, key=key).first()
        if stored is not None:
            if stored.request_sha256 != digest or stored.path != request.path:
                return _error(
                    422, "This Idempotency-Key was used for another request; use a new key"
                )
            response = JsonResponse(stored.response, status=stored.status)
            response["Idempotent-Replayed"] = "true"
            return response
        response = view(request, *args, **kwargs)
        if response.status_code < 500:
            try:
                with transaction.atomic():
                    IdempotentRequest.objects.create(
                        token=request.api_token,
                        key=key,
                        path=request.path,
                        request_sha256=digest,
                        status=response.status_code,
                        response=json.loads(response.content),
                    )
            except IntegrityError:
                pass  # the same key raced in at the same moment: the first answer stands
        return response

    return wrapper


def _invalid(errors: dict[str, list[str]]) -> JsonResponse:
    return _error(422, "Some fields are not valid", fields=errors)


def _resource(kind: str, model, lookup: str, as_json):
    """GET and PUT on one record by the ERP's key."""

    @api_view(("GET", "PUT"), MASTERDATA)
    def view(request: HttpRequest, key: str):
        if not masterdata.KEY.match(key):
            if request.method == "PUT":
                return _invalid({"key": ["A key has 1 to 64 characters, without a slash or "
                                         "control characters."]})  # fmt: skip
            return _error(404, f"No {kind.replace('_', ' ')} {key!r}")
        if request.method == "GET":
            found = model.objects.filter(**{lookup: key}).first()
            if found is None:
                return _error(404, f"No {kind.replace('_', ' ')} {key!r}")
            return JsonResponse(as_json(found))
        data = _body(request)
        if isinstance(data, JsonResponse):
            return data
        if not isinstance(data, dict):
            return _error(
                422, "Some fields are not valid", fields={"body": ["Expected a JSON object."]}
            )
        field = "external_id" if kind == "vendor" else "number"
        if data.get(field, key) != key:
            return _invalid({field: [f"The body says {data[field]!r}, the URL {key!r}."]})
        try:
            outcome = masterdata.UPSERTS[f"{kind}s"]({**data, field: key}, source=_source(request))
        except masterdata.Invalid as exc:
            return _invalid(exc.errors)
        found = model.objects.get(**{lookup: key})
        return JsonResponse(
            {"result": outcome.result, "changed": sorted(outcome.changes), kind: as_json(found)},
            status=201 if outcome.result == masterdata.CREATED else 200,
        )

    return view


def _bulk(kind: str):
    """POST many records: each applied or refused on its own; the answer lists each."""

    @api_view(("POST",), MASTERDATA)
    @_idempotent
    def view(request: HttpRequest):
        data = _body(request)
        if isinstance(data, JsonResponse):
            return data
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return _invalid({"items": ["Expected a list of records under 'items'."]})
        if len(items) > MAX_BULK:
            # The schema's maxItems: a request that breaks it is invalid (422), as any other
            # schema violation is, not "too large" (the body may be small).
            return _invalid(
                {"items": [f"At most {MAX_BULK} records a request; send the rest after."]}
            )
        # A malformed record (a wrong type, a missing field) refuses the whole request; a
        # well-formed one the ERP's data does not allow (an unknown vendor) is refused alone.
        malformed = {}
        for index, item in enumerate(items):
            try:
                masterdata.CHECKS[kind](item)
            except masterdata.Invalid as exc:
                malformed |= {f"items.{index}.{name}": msgs for name, msgs in exc.errors.items()}
        if malformed:
            return _invalid(malformed)
        results, counts = [], {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        for index, item in enumerate(items):
            try:
                outcome = masterdata.UPSERTS[kind](item, source=_source(request))
            except masterdata.Invalid as exc:
                results.append({"index": index, "errors": exc.errors})
                counts["failed"] += 1
                continue
            results.append({"index": index, **outcome.as_dict()})
            counts[outcome.result] += 1
        return JsonResponse({**counts, "results": results})

    return view


def vendor_json(vendor: Vendor) -> dict:
    return {
        "external_id": vendor.external_id,
        "name": vendor.name,
        "vat_id": vendor.vat_id,
        "iban": vendor.iban,
        "address": vendor.address,
        "currency": vendor.currency,
        "match_mode": vendor.match_mode,
        "automation_level": vendor.automation_level,
    }


def purchase_order_json(order: PurchaseOrder) -> dict:
    return {
        "number": order.number,
        "vendor_external_id": order.vendor.external_id,
        "currency": order.currency,
        "order_date": order.order_date.isoformat(),
        "status": order.status,
        "department": order.department,
        "match_mode": order.match_mode,
        "lines": [
            {
                "line_no": line.line_no,
                "item_code": line.item_code,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
                "tax_rate": str(line.tax_rate),
                "category": line.category,
                "cost_center": line.cost_center,
                "gl_account": line.gl_account,
            }
            for line in order.lines.all()
        ],
    }


def receipt_json(receipt: GoodsReceipt) -> dict:
    return {
        "number": receipt.number,
        "purchase_order": receipt.purchase_order.number,
        "received_on": receipt.received_on.isoformat(),
        "lines": [
            {"line_no": line.po_line.line_no, "quantity": str(line.quantity)}
            for line in receipt.lines.select_related("po_line").order_by("po_line__line_no")
        ],
    }


vendor = _resource("vendor", Vendor, "external_id", vendor_json)
purchase_order = _resource("purchase_order", PurchaseOrder, "number", purchase_order_json)
receipt = _resource("receipt", GoodsReceipt, "number", receipt_json)
vendors = _bulk("vendors")
purchase_orders = _bulk("purchase_orders")
receipts = _bulk("receipts")


@api_view(("POST",), PAYMENTS)
@_idempotent
def invoice_payment(request: HttpRequest, pk: int):
    """The ERP paid a posted invoice: {"paid_on": "2026-12-01", "reference": "PAY-88"}."""
    data = _body(request)
    if isinstance(data, JsonResponse):
        return data
    try:
        payment = masterdata.clean_payment(data)
    except masterdata.Invalid as exc:
        return _invalid(exc.errors)
    invoice = Invoice.objects.filter(pk=pk).first()
    if invoice is None:
        return _error(404, f"No invoice {pk}")
    if invoice.status not in (Status.POSTED, Status.PAID):
        return _error(409, f"Invoice {pk} is {invoice.status}, not posted: it cannot be paid yet")
    changed = record_payment(
        invoice,
        actor=_source(request),
        source={
            "paid_on": payment["paid_on"].isoformat(),
            "reference": payment["reference"],
            "how": "reported through the API",
        },
    )
    return JsonResponse(
        {
            "invoice_id": invoice.pk,
            "status": Status.PAID.value,
            "changed": changed,
            "url": reverse("api_invoice_payment", args=[invoice.pk]),
        }
    )
