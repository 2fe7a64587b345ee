"""API v1 for the ERP: every endpoint and scope, idempotent upserts, Idempotency-Key
replays, field-level 4xx for bad input, audit with the token, and payments back."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.models import (
    ApiToken,
    GoodsReceiptLine,
    Invoice,
    PurchaseOrder,
    Status,
    Vendor,
)
from tests.factories import make_queue

pytestmark = pytest.mark.django_db

VENDOR = {"name": "Kestrel Tooling GmbH", "vat_id": "DE 287 654 321", "currency": "EUR"}
ORDER = {
    "vendor_external_id": "V-77",
    "currency": "EUR",
    "order_date": "2026-11-02",
    "department": "Maintenance",
    "lines": [
        {"line_no": 1, "item_code": "K-1", "description": "Drill bits", "quantity": "40",
         "unit_price": "3.25", "tax_rate": 19, "cost_center": "MNT-1", "gl_account": "6000"},
        {"line_no": 2, "description": "Torque wrench", "quantity": 2, "unit_price": 89.9,
         "tax_rate": "19"},
    ],
}  # fmt: skip
RECEIPT = {
    "purchase_order": "PO-9001",
    "received_on": "2026-11-05",
    "lines": [{"line_no": 1, "quantity": "40"}, {"line_no": 2, "quantity": 1}],
}


def secret(*scopes, name="erp"):
    return ApiToken.issue(name, list(scopes))[1]


@pytest.fixture
def erp():
    return secret("masterdata", "payments")


def call(client, method, url, token, body=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    kwargs = {"headers": headers}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


def load(client, token):
    call(client, "put", reverse("api_vendor", args=["V-77"]), token, VENDOR)
    call(client, "put", reverse("api_purchase_order", args=["PO-9001"]), token, ORDER)


def test_put_creates_then_a_repeat_changes_nothing(client, erp):
    url = reverse("api_vendor", args=["V-77"])
    first = call(client, "put", url, erp, VENDOR)
    again = call(client, "put", url, erp, VENDOR)

    assert first.status_code == 201
    assert first.json()["vendor"]["vat_id"] == "DE287654321"
    assert (again.status_code, again.json()["result"]) == (200, "unchanged")
    assert Vendor.objects.count() == 1
    events = AuditEvent.objects.filter(action__startswith="masterdata.vendor")
    assert [e.action for e in events] == ["masterdata.vendor_created"]
    assert events.get().actor == "api:erp"

    changed = call(client, "put", url, erp, {**VENDOR, "iban": "DE89370400440532013000"})
    assert changed.json() | {"vendor": None} == {
        "result": "updated", "changed": ["iban"], "vendor": None
    }  # fmt: skip
    assert AuditEvent.objects.get(action="masterdata.vendor_updated").payload["changes"] == {
        "iban": {"from": "", "to": "DE89370400440532013000"}
    }
    assert call(client, "get", url, erp).json()["iban"] == "DE89370400440532013000"


def test_a_purchase_order_and_its_receipt_with_lines(client, erp):
    load(client, erp)
    response = call(client, "put", reverse("api_receipt", args=["GR-1"]), erp, RECEIPT)

    assert response.status_code == 201
    order = PurchaseOrder.objects.get(number="PO-9001")
    assert order.department == "Maintenance"
    assert [(line.line_no, line.quantity, line.gl_account) for line in order.lines.all()] == [
        (1, Decimal("40"), "6000"), (2, Decimal("2"), ""),
    ]  # fmt: skip
    assert GoodsReceiptLine.objects.count() == 2
    read = call(client, "get", reverse("api_purchase_order", args=["PO-9001"]), erp).json()
    assert read["lines"][1]["unit_price"] == "89.9000"

    again = call(client, "put", reverse("api_purchase_order", args=["PO-9001"]), erp, ORDER)
    assert again.json()["result"] == "unchanged"
    changed = {**ORDER, "lines": [{**ORDER["lines"][0], "quantity": "50"}]}
    response = call(client, "put", reverse("api_purchase_order", args=["PO-9001"]), erp, changed)
    assert response.json()["changed"] == ["lines.1"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**ORDER, "currency": "euro"}, "currency", "three capital letters"),
        ({**ORDER, "order_date": "02.11.2026"}, "order_date", "Enter a valid date"),
        ({**ORDER, "vendor_external_id": "V-404"}, "vendor_external_id", "send the vendor first"),
        ({**ORDER, "lines": []}, "lines", "at least one line"),
        ({**ORDER, "lines": [{**ORDER["lines"][0], "quantity": "-1"}]}, "lines.0.quantity",
         "greater than or equal to 0"),
        ({**ORDER, "lines": [ORDER["lines"][0], ORDER["lines"][0]]}, "lines.1.line_no",
         "given twice"),
        ({**ORDER, "lines": "many"}, "lines", "Expected a list"),
        ({**ORDER, "number": "PO-OTHER"}, "number", "the URL"),
    ],
)  # fmt: skip
def test_invalid_input_is_422_with_messages_per_field(client, erp, body, field, message):
    call(client, "put", reverse("api_vendor", args=["V-77"]), erp, VENDOR)
    response = call(client, "put", reverse("api_purchase_order", args=["PO-9001"]), erp, body)

    assert response.status_code == 422
    assert message in " ".join(response.json()["fields"][field])
    assert not PurchaseOrder.objects.exists()


def test_malformed_bodies_are_4xx_never_5xx(client, erp):
    url = reverse("api_vendor", args=["V-1"])
    auth = {"Authorization": f"Bearer {erp}"}
    assert (
        client.put(url, "{not json", content_type="application/json", headers=auth).status_code
        == 400
    )
    assert (
        client.put(url, b"\xff\xfe", content_type="application/json", headers=auth).status_code
        == 400
    )
    assert client.put(url, "name=x", content_type="text/plain", headers=auth).status_code == 415
    assert call(client, "put", url, erp, ["a", "list"]).status_code == 422
    assert call(client, "put", url, erp, {"name": "x\x00y"}).status_code == 422
    assert call(client, "put", reverse("api_receipt", args=["GR-1"]), erp, RECEIPT).json()[
        "fields"
    ] == {"purchase_order": ["No purchase order 'PO-9001': send the order first."]}  # fmt: skip


def test_a_receipt_for_a_line_the_order_does_not_have_is_refused(client, erp):
    load(client, erp)
    body = {**RECEIPT, "lines": [{"line_no": 7, "quantity": 1}]}
    response = call(client, "put", reverse("api_receipt", args=["GR-1"]), erp, body)
    assert response.json()["fields"] == {
        "lines.0.line_no": ["Purchase order PO-9001 has no line 7."]
    }


def test_bulk_applies_each_record_on_its_own_and_lists_each(client, erp):
    call(client, "put", reverse("api_vendor", args=["V-77"]), erp, VENDOR)
    items = [
        {**ORDER, "number": "PO-1"},
        {**ORDER, "number": "PO-2", "vendor_external_id": "V-404"},  # not known (yet)
        {**ORDER, "number": "PO-3"},
    ]
    response = call(client, "post", reverse("api_purchase_orders"), erp, {"items": items})

    body = response.json()
    assert response.status_code == 200
    assert (body["created"], body["failed"]) == (2, 1)
    assert body["results"][1] == {
        "index": 1, "errors": {"vendor_external_id": ["No vendor 'V-404': send the vendor first."]}
    }  # fmt: skip
    assert sorted(PurchaseOrder.objects.values_list("number", flat=True)) == ["PO-1", "PO-3"]


def test_a_malformed_record_refuses_the_whole_bulk_request(client, erp):
    items = [
        {**VENDOR, "external_id": "V-1"},
        {"external_id": "V-2"},  # no name
        {**VENDOR, "external_id": "V-3", "currency": "eur"},
        {**VENDOR, "external_id": "V-4", "name": ["a", "list"]},
    ]
    response = call(client, "post", reverse("api_vendors"), erp, {"items": items})

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "items.1.name": ["This field is required."],
        "items.2.currency": ["A currency is three capital letters (ISO 4217), e.g. EUR."],
        "items.3.name": ["Expected text, not a list."],
    }
    assert not Vendor.objects.exists()


def test_more_records_than_the_schema_allows_is_invalid_not_too_large(client, erp):
    """The schema says maxItems 1000: 1,001 small records break it (422), as the fuzz test
    of the schema expects of any schema violation."""
    items = [{"external_id": f"V-{n}"} for n in range(1001)]
    response = call(client, "post", reverse("api_vendors"), erp, {"items": items})

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "items": ["At most 1000 records a request; send the rest after."]
    }
    assert not Vendor.objects.exists()


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(client, erp):
    url = reverse("api_vendors")
    body = {"items": [{**VENDOR, "external_id": "V-1"}]}
    first = call(client, "post", url, erp, body, **{"Idempotency-Key": "batch-42"})
    Vendor.objects.filter(external_id="V-1").update(name="Renamed meanwhile")
    replay = call(client, "post", url, erp, body, **{"Idempotency-Key": "batch-42"})
    other = call(client, "post", url, erp, {"items": []}, **{"Idempotency-Key": "batch-42"})

    assert first.json()["created"] == 1
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Vendor.objects.get().name == "Renamed meanwhile"  # nothing was applied again
    assert other.status_code == 422
    assert "used for another request" in other.json()["error"]


def test_the_erp_reports_a_payment_and_the_invoice_is_paid_once(client, erp):
    (invoice,) = make_queue(1, status=Status.POSTED, code="")
    url = reverse("api_invoice_payment", args=[invoice.pk])

    paid = call(client, "post", url, erp, {"paid_on": "2026-12-01", "reference": "PAY-88"})
    again = call(client, "post", url, erp, {"paid_on": "2026-12-01", "reference": "PAY-88"})

    assert paid.json() | {"url": None} == {
        "invoice_id": invoice.pk, "status": "paid", "changed": True, "url": None
    }  # fmt: skip
    assert again.json()["changed"] is False
    invoice.refresh_from_db()
    assert invoice.status == Status.PAID
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.paid")
    assert event.actor == "api:erp"
    assert event.payload["inputs"]["reference"] == "PAY-88"


def test_a_payment_for_an_invoice_not_posted_is_a_conflict(client, erp):
    (invoice,) = make_queue(1, status=Status.NEEDS_REVIEW)
    url = reverse("api_invoice_payment", args=[invoice.pk])
    response = call(client, "post", url, erp, {"paid_on": "2026-12-01"})
    assert response.status_code == 409
    assert call(client, "post", url, erp, {"paid_on": "soon"}).status_code == 422
    missing = reverse("api_invoice_payment", args=[99999])
    assert call(client, "post", missing, erp, {"paid_on": "2026-12-01"}).status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).status == Status.NEEDS_REVIEW


def _endpoints(invoice_id):
    return [
        ("get", reverse("api_vendor", args=["V-77"]), "masterdata", None),
        ("put", reverse("api_vendor", args=["V-77"]), "masterdata", VENDOR),
        ("post", reverse("api_vendors"), "masterdata", {"items": []}),
        ("get", reverse("api_purchase_order", args=["PO-9001"]), "masterdata", None),
        ("put", reverse("api_purchase_order", args=["PO-9001"]), "masterdata", ORDER),
        ("post", reverse("api_purchase_orders"), "masterdata", {"items": []}),
        ("get", reverse("api_receipt", args=["GR-1"]), "masterdata", None),
        ("put", reverse("api_receipt", args=["GR-1"]), "masterdata", RECEIPT),
        ("post", reverse("api_receipts"), "masterdata", {"items": []}),
        ("post", reverse("api_invoice_payment", args=[invoice_id]), "payments",
         {"paid_on": "2026-12-01"}),
    ]  # fmt: skip


@pytest.mark.parametrize("scope", ["documents", "masterdata", "payments", None])
def test_every_endpoint_needs_a_token_with_its_scope(client, scope):
    (invoice,) = make_queue(1, status=Status.POSTED, code="")
    token = secret(scope, name=f"t-{scope}") if scope else None
    for method, url, needs, body in _endpoints(invoice.pk):
        response = call(client, method, url, token, body)
        if token is None:
            assert response.status_code == 401, (method, url)
        elif scope != needs:
            assert response.status_code == 403, (method, url)
            assert f"lacks the scope '{needs}'" in response.json()["error"]
        else:
            assert response.status_code in (200, 201, 404, 422), (method, url)
        assert response["Content-Type"] == "application/json"


def test_a_revoked_token_is_refused(client, erp):
    from django.utils import timezone

    ApiToken.objects.update(revoked_at=timezone.now())
    response = call(client, "get", reverse("api_vendor", args=["V-77"]), erp)
    assert response.status_code == 401


def test_the_wrong_method_is_405_with_allow(client, erp):
    response = call(client, "delete", reverse("api_vendor", args=["V-77"]), erp)
    assert response.status_code == 405
    assert response["Allow"] == "GET, PUT"


def test_the_openapi_schema_is_served_and_names_every_endpoint(client):
    schema = client.get(reverse("api_openapi")).json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/vendors/{key}", "/api/v1/vendors", "/api/v1/purchase-orders/{key}",
        "/api/v1/purchase-orders", "/api/v1/receipts/{key}", "/api/v1/receipts",
        "/api/v1/invoices/{id}/payment", "/api/v1/documents", "/api/v1/documents/{id}",
        "/api/v1/openapi.json",
    }  # fmt: skip
