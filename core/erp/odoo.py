"""The Odoo connector: a vendor bill (`account.move`, move_type `in_invoice`) through Odoo's
external JSON-RPC API (POST {url}/jsonrpc, services `common` and `object`). A credit note
(payload `document_type` "credit_note": the UNTDID 1001 credit family, core.document_types)
is booked as a vendor refund, move_type `in_refund`, with positive amounts whichever sign the
document printed them with: Odoo takes the direction from the move type, and a refund is
money the vendor owes, never a bill to pay.

The idempotency key is stored on the bill as its `payment_reference`, which is how
`find_posting` finds a bill booked earlier. The vendor must exist in Odoo as a partner
whose `ref` is the vendor's external id: creating partners is the ERP owner's business.

The bill's lines add up to the invoice's net (what `posting_problems` checked): the counted
lines (never the payload's `sub_lines`), each line's own allowances and charges as lines of
their own on its account, and the document's allowances and charges (EN 16931 BG-20/21)
as lines of their own: an allowance a negative price.
"""

import http.client
import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal, InvalidOperation

from core.erp.connectors import ConnectorError, PermanentError, PostingReceipt, excerpt

# Odoo exceptions that say the request itself is wrong or not allowed: sending it again
# gets the same answer, so a person has to look.
PERMANENT_ODOO_ERRORS = ("ValidationError", "AccessError", "AccessDenied", "UserError")

# The move types the connector books and finds: vendor bills and vendor refunds.
BILL, REFUND = "in_invoice", "in_refund"
# Odoo names a draft move "/" until it is posted; such a bill is found by its id instead.
DRAFT_NAME = "/"
MOVE_REFERENCE = "account.move/"
CENT = Decimal("0.01")


class OdooConnector:
    name = "odoo"

    def __init__(self, url: str, db: str, username: str, password: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.db = db
        self.username = username
        self.password = password
        self.timeout = timeout
        self._uid: int | None = None
        self._ids = itertools.count(1)

    def post_invoice(self, payload: dict, *, idempotency_key: str) -> PostingReceipt:
        """Checks for a bill under the key first: a worker that died after Odoo created the
        bill but before we recorded it must find that bill, not create a second one."""
        booked = self.find_posting(idempotency_key)
        if booked:
            return booked
        bill = {
            "move_type": REFUND if payload.get("document_type") == "credit_note" else BILL,
            "partner_id": self._partner_id(payload.get("vendor") or {}),
            "ref": payload.get("invoice_number") or False,
            "payment_reference": idempotency_key,
            "invoice_date": _iso(payload.get("invoice_date")),
            "invoice_date_due": _iso(payload.get("due_date")),
            "invoice_line_ids": [[0, 0, values] for values in self._bill_lines(payload)],
        }
        created = self._execute("account.move", "create", [bill])
        move_id = created[0] if isinstance(created, list) else created
        [move] = self._execute("account.move", "read", [[move_id]], {"fields": ["name"]})
        return _receipt(move_id, move["name"])

    def find_posting(self, idempotency_key: str) -> PostingReceipt | None:
        found = self._execute(
            "account.move",
            "search_read",
            [[["payment_reference", "=", idempotency_key], ["move_type", "in", [BILL, REFUND]]]],
            {"fields": ["name"], "limit": 1},
        )
        return _receipt(found[0]["id"], found[0]["name"]) if found else None

    def payment_status(self, document_number: str) -> str | None:
        move_id = document_number.removeprefix(MOVE_REFERENCE)
        if document_number.startswith(MOVE_REFERENCE) and move_id.isdigit():
            condition = ["id", "=", int(move_id)]
        else:
            condition = ["name", "=", document_number]
        found = self._execute(
            "account.move",
            "search_read",
            [[condition, ["move_type", "in", [BILL, REFUND]]]],
            {"fields": ["payment_state"], "limit": 1},
        )
        if not found or not found[0]["payment_state"]:
            return None
        state = found[0]["payment_state"]
        # "in_payment": paid from our side, waiting for the bank statement to reconcile it.
        return "paid" if state in ("paid", "in_payment") else state

    def _partner_id(self, vendor: dict) -> int:
        vendor_name = vendor.get("name") or "(no name)"
        external_id = vendor.get("external_id")
        if not external_id:
            raise PermanentError(
                f"Vendor {vendor_name} has no external id, so no Odoo partner can be chosen"
            )
        ids = self._execute("res.partner", "search", [[["ref", "=", external_id]]], {"limit": 1})
        if not ids:
            raise PermanentError(
                f"No Odoo partner has the reference {external_id} (vendor {vendor_name})"
            )
        return ids[0]

    def _bill_lines(self, payload: dict) -> list[dict]:
        booked = []
        for line in _lines(payload):
            booked += self._bill_line(line)
        if payload.get("lines"):  # else the one line is the net, these taken off already
            booked += [_adjustment(item) for item in payload.get("allowances_charges") or []]
        if payload.get("document_type") == "credit_note" and _is_negative(payload):
            # A credit note printed with minus signs ("119,00-"): the refund books the
            # same amounts positive.
            for values in booked:
                values["price_unit"] = -values["price_unit"]
        return booked

    def _bill_line(self, line: dict) -> list[dict]:
        """An invoice line as Odoo books it: quantity and unit price, then the line's own
        allowances and charges, which is how EN 16931 makes the line's net amount (BT-131).
        A line whose quantity and price do not make its amount (a price per base quantity,
        a price discount not stated as an allowance, none read) is booked as one of its
        amount, so the bill still comes to what the invoice says."""
        values = {
            "name": line.get("description") or line.get("item_code") or "",
            "quantity": float(line.get("quantity") or 0),
            "price_unit": float(line.get("unit_price") or 0),
        }
        stated = line.get("allowances_charges") or []
        own = [_adjustment(item) for item in stated]
        amount = _decimal(line.get("amount"))
        gross = (_decimal(line.get("quantity")) or 0) * (_decimal(line.get("unit_price")) or 0)
        net = gross + sum(_signed(item) for item in stated)
        if amount is not None and abs(net - amount) > CENT * (1 + len(own)):
            own = []
            if abs(gross - amount) > CENT:  # else the price is net of them already
                values.update(quantity=1.0, price_unit=float(amount))
        code = str(line.get("gl_account") or "")
        if code.isdigit():
            ids = self._execute("account.account", "search", [[["code", "=", code]]], {"limit": 1})
            if ids:
                values["account_id"] = ids[0]
                for item in own:
                    item["account_id"] = ids[0]
        return [values, *own]

    def _login(self) -> int:
        if self._uid is None:
            uid = self._call("common", "login", [self.db, self.username, self.password])
            if not uid:
                raise PermanentError(
                    f"Odoo refused the login of {self.username} to the database {self.db}"
                )
            self._uid = uid
        return self._uid

    def _execute(self, model: str, method: str, args: list, kwargs: dict | None = None):
        uid = self._login()
        return self._call(
            "object",
            "execute_kw",
            [self.db, uid, self.password, model, method, args, kwargs or {}],
            what=f"{model}.{method}",
        )

    def _call(self, service: str, method: str, args: list, what: str = ""):
        what = what or f"{service}.{method}"
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise PermanentError(f"ODOO_URL must be an http or https URL, not {self.url!r}")
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        # The scheme was checked above: only http and https get here.
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}/jsonrpc",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = response.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, excerpt(exc.read())
            exc.close()
            message = f"Odoo at {self.url} answered {status} to {what}: {text}"
            if status >= 500 or status in (408, 429):
                raise ConnectorError(message) from exc
            raise PermanentError(message) from exc
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ConnectorError(
                f"Odoo at {self.url} could not be reached ({what}): {reason}"
            ) from exc
        try:
            reply = json.loads(answer)
        except ValueError as exc:
            raise ConnectorError(
                f"Odoo at {self.url} answered {what} with something other than JSON: "
                f"{excerpt(answer)}"
            ) from exc
        if reply.get("error"):
            raise _odoo_error(reply["error"], what)
        return reply.get("result")


def _odoo_error(error: dict, what: str) -> ConnectorError:
    data = error.get("data") or {}
    name = data.get("name") or ""
    text = data.get("message") or error.get("message") or "no message"
    message = f"Odoo refused {what}: {text}" + (f" ({name})" if name else "")
    if any(kind in name for kind in PERMANENT_ODOO_ERRORS):
        return PermanentError(message)
    return ConnectorError(message)


def _is_negative(payload: dict) -> bool:
    total = _decimal(payload.get("total_amount"))
    return total is not None and total < 0


def _lines(payload: dict) -> list[dict]:
    """An invoice read without lines still books its net amount, as one line: a bill with
    no lines would come to zero in Odoo."""
    if payload.get("lines"):
        return payload["lines"]
    return [
        {
            "description": f"Invoice {payload.get('invoice_number') or ''}".strip(),
            "quantity": 1,
            "unit_price": payload.get("net_amount") or 0,
        }
    ]


def _adjustment(item: dict) -> dict:
    """An allowance (negative) or a charge as a bill line of quantity 1, named by its
    reason."""
    kind = "Charge" if item.get("charge") else "Allowance"
    reason = item.get("reason") or item.get("reason_code") or ""
    return {
        "name": f"{kind}: {reason}" if reason else kind,
        "quantity": 1.0,
        "price_unit": float(_signed(item)),
    }


def _signed(item: dict) -> Decimal:
    """An allowance's or a charge's amount as it changes the sum: an allowance negative."""
    amount = _decimal(item.get("amount")) or Decimal(0)
    return amount if item.get("charge") else -amount


def _decimal(value) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


def _receipt(move_id: int, name: str | bool) -> PostingReceipt:
    reference = f"{MOVE_REFERENCE}{move_id}"
    document_number = name if name and name != DRAFT_NAME else reference
    return PostingReceipt(document_number=document_number, reference=reference)


def _iso(value) -> str | bool:
    if not value:
        return False
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
