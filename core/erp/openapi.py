"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json and fuzzed in the
tests (schemathesis) against the running app: what it promises is what the views do.

It covers every path under /api/v1/ (tests/erp/test_openapi.py checks it against the URL
patterns and each view's methods and scope), and states the limits as the settings set
them when it is served: the request body, files per upload and bytes per file
(`x-limits` on each operation, and in words in its description), with the status each
limit answers with. No rate limit applies to the API, so no operation answers 429.
"""

from django.conf import settings

from core.erp.masterdata import KEY_PATTERN

MAX_BULK = 1000  # records per bulk request (core.erp.api.MAX_BULK)

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
    "LeftOut": {
        "type": "object",
        "required": ["name", "rule"],
        "properties": {
            "name": {"type": "string", "description": "The file (or zip member) left out"},
            "rule": {"type": "string", "description": "Why, in words"},
        },
    },
    "DocumentStatus": {
        "type": "object",
        "required": [
            "document_id",
            "invoice_id",
            "file",
            "sha256",
            "channel",
            "received_at",
            "status",
            "status_url",
            "exceptions",
            "ocr",
        ],
        "properties": {
            "document_id": {"type": "integer"},
            "invoice_id": {"type": "integer"},
            "file": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "channel": {"type": "string"},
            "received_at": {"type": "string", "format": "date-time"},
            "status": {"type": "string", "description": "The invoice's status"},
            "status_url": {"type": "string", "description": "Where to ask again"},
            "exceptions": {
                "type": "array",
                "description": "Open exceptions: why a person is needed",
                "items": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                },
            },
            "ocr": {
                "type": "object",
                "required": [
                    "pages_read",
                    "pages_to_read",
                    "started_at",
                    "finished_at",
                    "seconds_left",
                ],
                "properties": {
                    "pages_read": {"type": "integer", "minimum": 0},
                    "pages_to_read": {"type": "integer", "minimum": 0},
                    "started_at": {"type": ["string", "null"], "format": "date-time"},
                    "finished_at": {"type": ["string", "null"], "format": "date-time"},
                    "seconds_left": {"type": ["number", "null"]},
                },
            },
        },
    },
    "Uploaded": {
        "type": "object",
        "required": ["documents", "left_out"],
        "properties": {
            "documents": {
                "type": "array",
                "items": {
                    "allOf": [
                        {"$ref": "#/components/schemas/DocumentStatus"},
                        {
                            "type": "object",
                            "required": ["created"],
                            "properties": {
                                "created": {
                                    "type": "boolean",
                                    "description": "False: the same bytes were received "
                                    "before (from any channel); the existing document",
                                }
                            },
                        },
                    ]
                },
            },
            "left_out": {"type": "array", "items": {"$ref": "#/components/schemas/LeftOut"}},
        },
    },
    "NothingTaken": {
        "type": "object",
        "required": ["error", "left_out"],
        "properties": {
            "error": {"type": "string"},
            "left_out": {"type": "array", "items": {"$ref": "#/components/schemas/LeftOut"}},
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


def _errors(*codes: int, **said_here: str) -> dict:
    """Error responses (JSON `Error`) by status; `said_here` ("e413": "...") words one
    status for this operation."""
    said = {
        400: "The body is not JSON",
        401: "No valid token",
        403: "The token lacks the scope",
        404: "Not found",
        405: "Method not allowed",
        409: "Not in a state for this",
        413: "The request body is over MAX_REQUEST_BODY_BYTES",
        415: "Not JSON",
        422: "Fields not valid (messages per field)",
    }
    return {
        str(code): {
            "description": said_here.get(f"e{code}", said[code]),
            "content": _json("Error"),
        }
        for code in codes
    }


def limits() -> dict:
    """The request limits in force (settings), as `x-limits` says them."""
    return {
        "max_request_body_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "max_records_per_request": MAX_BULK,
        "max_files_per_request": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        "max_file_bytes": settings.MAX_STORED_BYTES,
        "max_readable_file_bytes": settings.MAX_DOCUMENT_BYTES,
        "max_zip_members": settings.MAX_ZIP_MEMBERS,
        "max_json_depth": settings.MAX_JSON_DEPTH,
    }


def _json_limits(*names: str) -> dict:
    return {name: limits()[name] for name in ("max_request_body_bytes", "max_json_depth", *names)}


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
            "description": _json_body_limits(),
            "x-limits": _json_limits(),
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
                "maxItems": MAX_BULK,
                "items": {"$ref": f"#/components/schemas/{ref}"},
            }
        },
    }
    return {
        "post": {
            "summary": f"Create or update many {kind}s; each applied or refused on its own",
            "description": f"At most {MAX_BULK:,} records a request (`items`, maxItems): more "
            "is refused whole with 422, the records sent in the next request. "
            + _json_body_limits(),
            "x-limits": _json_limits("max_records_per_request"),
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
                **_errors(
                    400,
                    401,
                    403,
                    413,
                    415,
                    422,
                    e422=f"Fields not valid, or more than {MAX_BULK:,} records (per field)",
                ),
            },
        }
    }


def _json_body_limits() -> str:
    return (
        f"A body over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (MAX_REQUEST_BODY_BYTES) "
        f"is refused with 413; JSON nested deeper than {settings.MAX_JSON_DEPTH} levels with "
        "400."
    )


def _documents() -> dict:
    """POST /api/v1/documents: the multipart upload, with its limits."""
    said = limits()
    return {
        "post": {
            "summary": "Hand over invoice documents (PDF, e-invoice XML, scans, zip files)",
            "description": (
                "multipart/form-data with one or more parts named `file` (a zip file is "
                f"opened: at most {said['max_zip_members']:,} members). At most "
                f"{said['max_files_per_request']:,} files a request (UPLOAD_MAX_FILES): more "
                f"is refused whole with 413. A file over {said['max_file_bytes']:,} bytes "
                "(MAX_STORED_BYTES) is dropped while it streams in and listed in `left_out`; "
                f"one over {said['max_readable_file_bytes']:,} bytes (MAX_DOCUMENT_BYTES) is "
                "kept but not read (an admin reprocesses it after raising the limit). Form "
                f"fields other than files over {said['max_request_body_bytes']:,} bytes in "
                "all are refused with 413. The same bytes sent again (by any channel) are "
                "the same document: `created` is false and the answer is 200."
            ),
            "x-limits": {
                name: said[name]
                for name in (
                    "max_request_body_bytes",
                    "max_files_per_request",
                    "max_file_bytes",
                    "max_readable_file_bytes",
                    "max_zip_members",
                )
            },
            "security": [{"token": ["documents"]}],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": said["max_files_per_request"],
                                    "items": {"type": "string", "format": "binary"},
                                    "description": "One part per file, each named `file`",
                                }
                            },
                        },
                        "encoding": {"file": {"contentType": "application/octet-stream"}},
                    }
                },
            },
            "responses": {
                "201": {"description": "At least one new document", "content": _json("Uploaded")},
                "200": {
                    "description": "Every document was received before (same bytes)",
                    "content": _json("Uploaded"),
                },
                **_errors(
                    400,
                    401,
                    403,
                    413,
                    e400="No part named `file`",
                    e413=f"Over {said['max_files_per_request']:,} files, or form fields over "
                    f"{said['max_request_body_bytes']:,} bytes",
                ),
                "422": {
                    "description": "Nothing in the request could be taken; `left_out` says "
                    "why for each file",
                    "content": _json("NothingTaken"),
                },
            },
        }
    }


def _document_status() -> dict:
    return {
        "get": {
            "summary": "How a document handed over is doing: its invoice's status, open "
            "exceptions and OCR progress",
            "security": [{"token": ["documents"]}],
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                }
            ],
            "responses": {
                "200": {"description": "The document", "content": _json("DocumentStatus")},
                **_errors(401, 403, 404),
            },
        }
    }


def _openapi() -> dict:
    return {
        "get": {
            "summary": "This document (no token needed)",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document of API v1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
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
            "Tokens come from `manage.py create_api_token NAME --scope SCOPE`. Limits are "
            "given per operation (`x-limits`, and in its description); no rate limit "
            "applies.",
            "x-limits": limits(),
        },
        "servers": [{"url": server}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
        "paths": {
            "/api/v1/documents": _documents(),
            "/api/v1/documents/{id}": _document_status(),
            "/api/v1/openapi.json": _openapi(),
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
                    "description": _json_body_limits(),
                    "x-limits": _json_limits(),
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
