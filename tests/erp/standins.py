"""Stand-ins for the ERP side of the outbound connectors, served on loopback over real HTTP.

`WebhookReceiver` is a receiver written the way the webhook contract asks: it checks the
signature with `core.erp.webhook.verify` and books each Idempotency-Key once.

`OdooStandIn` is a stand-in for Odoo's external JSON-RPC API, because no Odoo server can run
here. It answers only the calls `core.erp.odoo.OdooConnector` makes (common.login and
execute_kw on res.partner, account.account and account.move), with Odoo's request and
reply shapes, including its error member; it is not a model of Odoo's accounting.
"""

import itertools
import json
import threading
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.erp.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


class _LoopbackServer:
    """Serves `self.answer(handler, body) -> (status, reply)` from a daemon thread while in
    a `with` block."""

    path = "/"

    def __init__(self):
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def __enter__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, reply = owner.answer(self, body)
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting, which some tests arrange on purpose

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutdown() waits for the loop to look, and tests open many servers.
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc_info):
        self._closing.set()  # wakes handlers still sleeping in a delay
        self._server.shutdown()
        self._server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, object]:
        raise NotImplementedError

    def _sleep(self, seconds: float) -> None:
        self._closing.wait(seconds)


@dataclass(frozen=True)
class Delivery:
    idempotency_key: str | None
    timestamp: str | None
    signature: str | None
    body: bytes
    verified: bool


class WebhookReceiver(_LoopbackServer):
    """A receiver keeping the webhook contract. `received` has every request, `booked` maps
    each key booked to its document number (one entry however often the key came).

    `delay_after_accept` sleeps after booking and before answering, as a receiver whose
    answer is lost; set it to 0 again to let a retry through. `fail_first` answers the first
    n requests 503 without booking. `answer` (status, reply) answers every correctly signed
    request with that instead of booking, for the ways a receiver refuses."""

    path = "/hooks/invoices"

    def __init__(
        self,
        secret: str,
        *,
        delay_after_accept: float = 0.0,
        fail_first: int = 0,
        answer: tuple[int, object] | None = None,
    ):
        super().__init__()
        self.secret = secret
        self.delay_after_accept = delay_after_accept
        self.fail_first = fail_first
        self.fixed_answer = answer
        self.received: list[Delivery] = []
        self.booked: dict[str, str] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def rejected(self) -> list[Delivery]:
        return [delivery for delivery in self.received if not delivery.verified]

    def answer(self, handler, body):
        timestamp = handler.headers.get(TIMESTAMP_HEADER)
        signature = handler.headers.get(SIGNATURE_HEADER)
        delivery = Delivery(
            idempotency_key=handler.headers.get("Idempotency-Key"),
            timestamp=timestamp,
            signature=signature,
            body=body,
            verified=verify(self.secret, timestamp or "", body, signature),
        )
        with self._lock:
            self.received.append(delivery)
            if not delivery.verified:
                return 401, {"error": "The signature does not match."}
            if len(self.received) <= self.fail_first:
                return 503, {"error": "The ledger is busy; try again later."}
            if self.fixed_answer:
                return self.fixed_answer
            if not delivery.idempotency_key:
                return 400, {"error": "The Idempotency-Key header is missing."}
            if delivery.idempotency_key not in self.booked:
                self.booked[delivery.idempotency_key] = f"AP-{next(self._numbers):06d}"
            document_number = self.booked[delivery.idempotency_key]
        self._sleep(self.delay_after_accept)
        return 201, {"document_number": document_number}


@dataclass(frozen=True)
class Call:
    target: str  # the service for common calls, the model for execute_kw
    method: str
    args: list


class OdooError(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


class OdooStandIn(_LoopbackServer):
    """Odoo's JSON-RPC endpoint for database "ledgerline", user "ap-bot", password "secret".

    `partners` maps a partner's `ref` to its id, `accounts` an account code to its id.
    Bills are numbered BILL/<year>/0001 on, from creation; with `number_drafts=False` they
    are named "/" as Odoo names an unposted draft. `fail_next(name, message)` makes the next
    execute_kw answer with that Odoo exception."""

    path = ""
    DB, LOGIN, PASSWORD, UID = "ledgerline", "ap-bot", "secret", 2

    def __init__(
        self,
        partners: dict[str, int] | None = None,
        accounts: dict[str, int] | None = None,
        *,
        number_drafts: bool = True,
    ):
        super().__init__()
        self.partners = {"V-1001": 7} if partners is None else partners
        self.accounts = {"6000": 101, "6300": 102, "6800": 103} if accounts is None else accounts
        self.number_drafts = number_drafts
        self.moves: dict[int, dict] = {}
        self.calls: list[Call] = []
        self._move_ids = itertools.count(1)
        self._numbers = itertools.count(1)
        self._failures: list[OdooError] = []
        self._lock = threading.Lock()

    def count(self, target: str, method: str) -> int:
        return sum(1 for call in self.calls if (call.target, call.method) == (target, method))

    def pay(self, document_number: str) -> None:
        [move] = [move for move in self.moves.values() if move["name"] == document_number]
        move["payment_state"] = "paid"

    def fail_next(self, name: str, message: str) -> None:
        self._failures.append(OdooError(name, message))

    def answer(self, handler, body):
        if handler.path != "/jsonrpc":
            return 404, {"error": f"Nothing at {handler.path}"}
        request = json.loads(body)
        params = request.get("params") or {}
        try:
            with self._lock:
                result = self._dispatch(params.get("service"), params.get("method"), params["args"])
        except OdooError as exc:
            error = {
                "code": 200,
                "message": "Odoo Server Error",
                "data": {
                    "name": exc.name,
                    "message": exc.message,
                    "arguments": [exc.message],
                    "debug": f"Traceback (most recent call last):\n{exc.name}: {exc.message}",
                    "context": {},
                },
            }
            return 200, {"jsonrpc": "2.0", "id": request.get("id"), "error": error}
        return 200, {"jsonrpc": "2.0", "id": request.get("id"), "result": result}

    def _dispatch(self, service, method, args):
        if (service, method) == ("common", "login"):
            self.calls.append(Call("common", "login", args))
            db, login, password = args
            credentials = (self.DB, self.LOGIN, self.PASSWORD)
            return self.UID if (db, login, password) == credentials else False
        if (service, method) != ("object", "execute_kw"):
            raise OdooError("builtins.NotImplementedError", f"{service}.{method} is not served")
        db, uid, password, model, model_method, call_args, *rest = args
        kwargs = rest[0] if rest else {}
        self.calls.append(Call(model, model_method, call_args))
        if (db, uid, password) != (self.DB, self.UID, self.PASSWORD):
            raise OdooError("odoo.exceptions.AccessDenied", "Access Denied")
        if self._failures:
            raise self._failures.pop(0)
        served = {
            ("res.partner", "search"): self._search_partners,
            ("account.account", "search"): self._search_accounts,
            ("account.move", "create"): self._create_move,
            ("account.move", "read"): self._read_moves,
            ("account.move", "search_read"): self._search_read_moves,
        }
        if (model, model_method) not in served:
            raise OdooError("builtins.AttributeError", f"{model}.{model_method} is not served")
        return served[(model, model_method)](*call_args, **kwargs)

    def _search_partners(self, domain, limit=None):
        records = [{"id": pid, "ref": ref} for ref, pid in self.partners.items()]
        return [record["id"] for record in _matching(records, domain)][:limit]

    def _search_accounts(self, domain, limit=None):
        records = [{"id": aid, "code": code} for code, aid in self.accounts.items()]
        return [record["id"] for record in _matching(records, domain)][:limit]

    def _create_move(self, values):
        if values.get("partner_id") not in self.partners.values():
            raise OdooError("odoo.exceptions.ValidationError", "The vendor does not exist.")
        lines = []
        for command in values.get("invoice_line_ids") or []:
            if command[:2] != [0, 0]:
                raise OdooError("odoo.exceptions.UserError", f"Unexpected command {command}")
            line = command[2]
            if "account_id" in line and line["account_id"] not in self.accounts.values():
                raise OdooError("odoo.exceptions.ValidationError", "The account does not exist.")
            lines.append(line)
        move_id = next(self._move_ids)
        year = (
            date.fromisoformat(values["invoice_date"]).year if values.get("invoice_date") else 2026
        )
        name = f"BILL/{year}/{next(self._numbers):04d}" if self.number_drafts else "/"
        self.moves[move_id] = {
            **values,
            "id": move_id,
            "name": name,
            "invoice_line_ids": lines,
            "state": "draft",
            "payment_state": "not_paid",
            "amount_untaxed": sum(line["quantity"] * line["price_unit"] for line in lines),
        }
        return move_id

    def _read_moves(self, ids, fields=None):
        return [_fields(self.moves[move_id], fields) for move_id in ids if move_id in self.moves]

    def _search_read_moves(self, domain, fields=None, limit=None, offset=0, order=None):
        found = _matching(self.moves.values(), domain)[offset:]
        return [_fields(move, fields) for move in found[:limit]]


def _matching(records, domain) -> list[dict]:
    """Odoo domains, as far as the connector uses them: `=` and `in` conditions, all of
    them."""
    for condition in domain:
        if (
            not isinstance(condition, list)
            or len(condition) != 3
            or condition[1] not in ("=", "in")
        ):
            raise OdooError("builtins.ValueError", f"Domain {condition!r} is not served")
    return [
        record
        for record in records
        if all(
            record.get(field, False) in value if op == "in" else record.get(field, False) == value
            for field, op, value in domain
        )
    ]


def _fields(record: dict, fields: list[str] | None) -> dict:
    return {"id": record["id"], **{field: record.get(field, False) for field in fields or record}}
