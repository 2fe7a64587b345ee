"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json and fuzzed in the
tests (schemathesis) against the running app: what it promises is what the views do."""

from core.erp.masterdata import KEY_PATTERN

KEY = {"type": "string", "pattern": KEY_PATTERN}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}
OPTIONAL_CURRENCY = {"type": "string", "pattern": "^([A-Z]{3})?$", "description": "Empty: EUR"}
MATCH_MODE = {"type": "string", "enum": ["", "three_way", "two_way"]}


def _number(digits: int, places: int, maximum: float) -> dict:
    """Decimals as strings ("12.50") or JSON numbers, never negative."""
    return {
        "oneOf": [
            {"type": "string", "pattern": rf"^\d{{1,{digits}}}(\.\d{{1,{places}}})?$"},
            {"type": "number", "minimum": 0, "maximum": maximum},
        ]
    }


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    "Vendor": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "external_id": KEY,
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "vat_id": {"type": "string", "maxLength": 32},
            "iban": {"type": "string", "maxLength": 34},
            "address": {"type": "string", "maxLength": 1000},
            "currency": OPTIONAL_CURRENCY,
            "match_mode": MATCH_MODE,
            "automation_level": {
                "type": "string",
                "enum": ["manual", "assisted", "auto"],
                "readOnly": True,
                "description": "Set in Ledgerline (the trust ladder), not by the ERP",
            },
        },
    },
    "PurchaseOrderLine": {
        "type": "object",
        "required": ["line_no", "description", "quantity", "unit_price", "tax_rate"],
        "properties": {
            "line_no": {"type": "integer", "minimum": 1, "maximum": 100000},
            "item_code": {"type": "string", "maxLength": 64},
            "description": {"type": "string", "minLength": 1, "maxLength": 300},
            "quantity": _number(14, 4, 99_999_999),
            "unit_price": _number(14, 4, 99_999_999),
            "tax_rate": _number(3, 3, 100),
            "category": {"type": "string", "maxLength": 64},
            "cost_center": {"type": "string", "maxLength": 32},
            "gl_account": {"type": "string", "maxLength": 32},
        },
    },
    "PurchaseOrder": {
        "type": "object",
        "required": ["vendor_external_id", "currency", "order_date", "lines"],
        "properties": {
            "number": KEY,
            "vendor_external_id": {"type": "string", "minLength": 1, "maxLength": 64},
            "currency": CURRENCY,
            "order_date": DATE,
            "status": {"type": "string", "enum": ["", "open", "closed"]},
            "department": {"type": "string", "maxLength": 64},
            "match_mode": MATCH_MODE,
            "lines": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/components/schemas/PurchaseOrderLine"},
            },
        },
    },
    "Receipt": {
        "type": "object",
        "required": ["purchase_order", "received_on", "lines"],
        "properties": {
            "number": KEY,
            "purchase_order": {"type": "string", "minLength": 1, "maxLength": 64},
            "received_on": DATE,
            "lines": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["line_no", "quantity"],
                    "properties": {
                        "line_no": {"type": "integer", "minimum": 1, "maximum": 100000},
                        "quantity": _number(14, 4, 99_999_999),
                    },
                },
            },
        },
    },
    "Upserted": {
        "type": "object",
        "required": ["result", "changed"],
        "properties": {
            "result": {"type": "string", "enum": ["created", "updated", "unchanged"]},
            "changed": {"type": "array", "items": {"type": "string"}},
        },
    },
    "BulkResult": {
        "type": "object",
        "required": ["created", "updated", "unchanged", "failed", "results"],
        "properties": {
            **{name: {"type": "integer"} for name in ("created", "updated", "unchanged", "failed")},
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index"],
                    "properties": {
                        "index": {"type": "integer"},
                        "key": {"type": "string"},
                        "result": {"type": "string"},
                        "changed": {"type": "array", "items": {"type": "string"}},
                        "errors": {"type": "object"},
                    },
                },
            },
        },
    },
    "Payment": {
        "type": "object",
        "required": ["paid_on"],
        "properties": {"paid_on": DATE, "reference": {"type": "string", "maxLength": 200}},
    },
    "Paid": {
        "type": "object",
        "required": ["invoice_id", "status", "changed"],
        "properties": {
            "invoice_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["paid"]},
            "changed": {"type": "boolean"},
            "url": {"type": "string"},
        },
    },
}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes: int) -> dict:
    said = {
        400: "The body is not JSON",
        401: "No valid token",
        403: "The token lacks the scope",
        404: "Not found",
        405: "Method not allowed",
        409: "Not in a state for this",
        413: "Too large",
        415: "Not JSON",
        422: "Fields not valid (messages per field)",
    }
    return {str(code): {"description": said[code], "content": _json("Error")} for code in codes}


def _record(kind: str, ref: str, scope: str) -> dict:
    key = {"name": "key", "in": "path", "required": True, "schema": KEY}
    return {
        "get": {
            "summary": f"Read one {kind} by the ERP's key",
            "security": [{"token": [scope]}],
            "parameters": [key],
            "responses": {
                "200": {"description": f"The {kind}", "content": _json(ref)},
                **_errors(401, 403, 404),
            },
        },
        "put": {
            "summary": f"Create or update one {kind} (idempotent)",
            "security": [{"token": [scope]}],
            "parameters": [key],
            "requestBody": {"required": True, "content": _json(ref)},
            "responses": {
                "200": {"description": "Updated or unchanged", "content": _json("Upserted")},
                "201": {"description": "Created", "content": _json("Upserted")},
                **_errors(400, 401, 403, 413, 415, 422),
            },
        },
    }


def _bulk(kind: str, ref: str, scope: str) -> dict:
    body = {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "maxItems": 1000,
                "items": {"$ref": f"#/components/schemas/{ref}"},
            }
        },
    }
    return {
        "post": {
            "summary": f"Create or update many {kind}s; each applied or refused on its own",
            "security": [{"token": [scope]}],
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 200},
                    "description": "The same key and body again replays the first answer",
                }
            ],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {
                "200": {"description": "One result per record", "content": _json("BulkResult")},
                **_errors(400, 401, 403, 413, 415, 422),
            },
        }
    }


def schema(server: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ledgerline API",
            "version": "1",
            "description": "Master data from the ERP, payments back, and documents in. "
            "Tokens come from `manage.py create_api_token NAME --scope SCOPE`.",
        },
        "servers": [{"url": server}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
        "paths": {
            "/api/v1/vendors/{key}": _record("vendor", "Vendor", "masterdata"),
            "/api/v1/vendors": _bulk("vendor", "Vendor", "masterdata"),
            "/api/v1/purchase-orders/{key}": _record(
                "purchase order", "PurchaseOrder", "masterdata"
            ),
            "/api/v1/purchase-orders": _bulk("purchase order", "PurchaseOrder", "masterdata"),
            "/api/v1/receipts/{key}": _record("goods receipt", "Receipt", "masterdata"),
            "/api/v1/receipts": _bulk("goods receipt", "Receipt", "masterdata"),
            "/api/v1/invoices/{id}/payment": {
                "post": {
                    "summary": "The ERP paid a posted invoice: it becomes paid",
                    "security": [{"token": ["payments"]}],
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        }
                    ],
                    "requestBody": {"required": True, "content": _json("Payment")},
                    "responses": {
                        "200": {"description": "Paid", "content": _json("Paid")},
                        **_errors(400, 401, 403, 404, 409, 413, 415, 422),
                    },
                }
            },
        },
    }
