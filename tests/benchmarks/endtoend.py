"""End to end, as an AP team judges it: each labelled document through `ingest --sync` on a
fresh database with clean master data built from its truth, then read back.

A port of the team's ../shared/tools/touchless.py, smaller but with its definitions (see
touchless.md there): the vendor (truth's name, VAT id, IBAN; the invoice currency; two-way
matching) onboarded at the top of the trust ladder; an open two-way PO of the truth's PO
number (else EVAL-PO-1, found by vendor and amount) whose lines cover the invoice: the
reader's lines when they add up to the true net (Ledgerline pairs every invoice line with
a PO line, so a one-line PO would send any invoice whose lines were read to a person),
else one line at the true net; the company currency is the invoice's and
AUTO_APPROVE_LIMIT is out of reach. Classes:

- touchless_right: approved/posted with no person, every checked field right;
- false_auto: approved/posted with no person, a checked field wrong or missing;
- to_person: needs_review (open exception codes) or pending_approval (why, APPROVAL:...);
- error: the product or this harness failed.

Needs Django set up on a scratch LEDGERLINE_VAR_DIR / DATABASE_URL (bench_real does it):
one migrated SQLite template, copied for every document.
"""

import contextlib
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
import traceback
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from tests.benchmarks.realsets import FIELDS, LabelledFile, checked, right

AUTO_STATUSES = ("approved", "posted", "paid")
PERSON_STATUSES = ("needs_review", "pending_approval")
AUTO_APPROVE_LIMIT = Decimal("999999999999999.99")  # amount columns hold 16 digits
LINE_TOLERANCE = Decimal("1.00")  # the product's default total tolerance (lines vs net)
VENDOR_KEY = "EVAL-V-1"
ACTOR = "system:bench-real"
STORED_FIELDS = FIELDS


@dataclass
class Outcome:
    file: str
    kind: str  # touchless_right, false_auto, to_person, error
    status: str = "-"
    reasons: list[str] = field(default_factory=list)  # exception codes, APPROVAL:..., error
    wrong: list[str] = field(default_factory=list)  # "field" or "field(missing)"
    po_lines: str = "-"


def make_template(folder: Path) -> Path:
    """Migrate the configured SQLite database once and keep it as the template."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    connections.close_all()
    db = Path(settings.DATABASES["default"]["NAME"])
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    template = folder / "template.sqlite3"
    shutil.copyfile(db, template)
    return template


def fresh_database(template: Path, folder: Path) -> None:
    """A copy of the template, and empty media, ERP outbox and mail folders."""
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    db = folder / "doc.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(template, db)
    connections["default"].settings_dict["NAME"] = str(db)
    settings.DATABASES["default"]["NAME"] = str(db)
    for place in (settings.MEDIA_ROOT, settings.ERP_OUTBOX_DIR, settings.EMAIL_FILE_PATH):
        shutil.rmtree(place, ignore_errors=True)
        Path(place).mkdir(parents=True, exist_ok=True)


def run_document(doc: LabelledFile, template: Path, folder: Path) -> Outcome:
    try:
        fresh_database(template, folder)
        return _run(doc)
    except Exception as exc:  # one document must not stop the bench
        trace = traceback.format_exc().strip().splitlines()[-1]
        return Outcome(doc.file, "error", reasons=[f"{type(exc).__name__}: {exc}"[:160], trace])


def _run(doc: LabelledFile) -> Outcome:
    from django.core.management import call_command
    from django.test import override_settings

    from core.models import Invoice

    truth = {k: v for k, v in doc.truth.items() if v not in (None, "")}
    read = _read(doc.path)
    currency = str(truth.get("currency") or read["currency"] or "EUR").upper()
    with override_settings(
        COMPANY_CURRENCY=currency,
        EXCHANGE_RATES={},
        AUTO_APPROVE_LIMIT=AUTO_APPROVE_LIMIT,
        ERP_CONNECTOR="file",
    ):
        po_lines = _master_data(truth, read, currency)
        out = io.StringIO()
        # ingest exits 1 when a file gave an error line; the line says which
        with contextlib.suppress(SystemExit):
            call_command("ingest", str(doc.path), "--sync", stdout=out)
    lines = [json.loads(x) for x in out.getvalue().splitlines() if x.startswith("{")]
    if not lines or not lines[0].get("id"):
        said = json.dumps(lines[0]) if lines else out.getvalue()[-300:]
        return Outcome(doc.file, "error", reasons=[f"ingest: {said}"], po_lines=po_lines)
    invoice = Invoice.objects.get(pk=lines[0]["id"])
    return _judge(doc, truth, invoice, po_lines)


def _read(path: Path) -> dict:
    """What the product's reader gets from the file, before ingest: its lines (for the PO)
    and the vendor name and currency the master data falls back to."""
    from extraction.extract import extract_path
    from extraction.types import UnreadableDocument

    try:
        result = extract_path(path)
    except UnreadableDocument:  # ingest will say so (UNREADABLE)
        return {"lines": [], "vendor_name": None, "currency": None}
    return {
        "lines": result.lines,
        "vendor_name": result.value("vendor_name"),
        "currency": result.value("currency"),
    }


def _dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _q4(d: Decimal) -> Decimal:
    return d.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _net_tax(truth: dict) -> tuple[Decimal | None, Decimal]:
    net, tax, total = (_dec(truth.get(k)) for k in ("net_amount", "tax_amount", "total_amount"))
    if net is None and total is not None:
        net = total - tax if tax is not None else total
    if tax is None and net is not None and total is not None:
        tax = total - net
    return net, tax if tax is not None else Decimal(0)


def _rate(tax: Decimal, net: Decimal | None) -> Decimal:
    if not net:
        return Decimal(0)
    rate = abs(tax) / abs(net) * 100
    return Decimal(0) if rate > 100 else rate.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _po_lines(read: dict, net: Decimal | None, tax: Decimal) -> tuple[list[dict], str]:
    """mirror: the reader's lines when they add up to the true net (one PO line per
    invoice line, repeated lines summed); net: one line, quantity 1 at the true net."""
    default_rate = _rate(tax, net)
    found = read["lines"]
    amounts = [
        ln.amount
        if ln.amount is not None or ln.quantity is None or ln.unit_price is None
        else ln.quantity * ln.unit_price
        for ln in found
    ]
    known = [a for a in amounts if a is not None]
    why = ""
    if found and net is not None:
        if known and abs(abs(sum(known, Decimal(0))) - abs(net)) <= LINE_TOLERANCE:
            merged: dict = {}
            for ln, amount in zip(found, amounts, strict=True):
                desc, code = (ln.description or "").strip(), (ln.item_code or "").strip()
                if not desc and not code:
                    continue  # nothing a PO line could be paired by
                qty = abs(ln.quantity) if ln.quantity not in (None, 0) else Decimal(1)
                price = ln.unit_price
                if price is None:
                    price = amount / qty if amount is not None else Decimal(0)
                price = _q4(abs(price))
                rate = ln.tax_rate if ln.tax_rate is not None and 0 <= ln.tax_rate <= 100 else None
                key = (code.upper(), desc.casefold(), price)
                if key in merged:
                    merged[key]["quantity"] += _q4(qty)
                else:
                    merged[key] = {
                        "item_code": code[:64],
                        "description": (desc or code)[:300],
                        "quantity": _q4(qty),
                        "unit_price": price,
                        "tax_rate": Decimal(rate if rate is not None else default_rate).quantize(
                            Decimal("0.001")
                        ),
                    }
            if merged:
                return list(merged.values()), "mirror"
        why = "-lines-unreconciled"
    if net is None:
        return [], "none-no-amount"
    line = {
        "item_code": "",
        "description": "Goods and services as invoiced",
        "quantity": Decimal(1),
        "unit_price": _q4(abs(net)),
        "tax_rate": default_rate,
    }
    return [line], "net" + why


def _master_data(truth: dict, read: dict, currency: str) -> str:
    """The vendor at `auto` and its open PO covering the invoice; returns how the PO's
    lines were made."""
    from approvals import trust
    from core.erp.masterdata import Invalid, upsert_purchase_order, upsert_vendor
    from core.models import AutomationLevel, PurchaseOrder, PurchaseOrderLine, Vendor

    name = truth.get("vendor_name") or read["vendor_name"] or "Vendor of the evaluated invoice"
    vendor = {
        "external_id": VENDOR_KEY,
        "name": str(name)[:200],
        "vat_id": re.sub(r"\s", "", str(truth.get("vendor_vat_id") or ""))[:32],
        "iban": re.sub(r"\s", "", str(truth.get("vendor_iban") or ""))[:34],
        "currency": currency,
        "match_mode": "two_way",
    }
    source = "file bench-real:1"
    try:
        upsert_vendor(vendor, source=source)
    except Invalid:  # e.g. a VAT id the form refuses: the ORM takes it as it is
        Vendor.objects.create(**vendor)
    master = Vendor.objects.get(external_id=VENDOR_KEY)
    trust.onboard(
        master,
        AutomationLevel.AUTO,
        actor=ACTOR,
        reason="Evaluation: an established vendor with a clean record",
    )
    net, tax = _net_tax(truth)
    lines, how = _po_lines(read, net, tax)
    if not lines:
        return how
    po = {
        "number": (str(truth.get("po_number") or "").strip() or "EVAL-PO-1")[:64],
        "vendor_external_id": VENDOR_KEY,
        "currency": currency,
        "order_date": str(truth.get("invoice_date") or dt.date.today().isoformat())[:10],
        "status": "open",
        "match_mode": "two_way",
        "lines": [
            {
                "line_no": n,
                "item_code": ln["item_code"],
                "description": ln["description"] or "-",
                "quantity": str(ln["quantity"]),
                "unit_price": str(ln["unit_price"]),
                "tax_rate": str(ln["tax_rate"]),
            }
            for n, ln in enumerate(lines, start=1)
        ],
    }
    try:
        upsert_purchase_order(po, source=source)
    except Invalid:  # a number with a slash, ...: the ORM takes it as it is
        order = PurchaseOrder.objects.create(
            number=po["number"],
            vendor=master,
            currency=currency,
            order_date=dt.date.fromisoformat(po["order_date"]),
            status="open",
            match_mode="two_way",
        )
        for ln in po["lines"]:
            PurchaseOrderLine.objects.create(
                purchase_order=order,
                line_no=ln["line_no"],
                item_code=ln["item_code"],
                description=ln["description"],
                quantity=Decimal(ln["quantity"]),
                unit_price=Decimal(ln["unit_price"]),
                tax_rate=Decimal(ln["tax_rate"]),
            )
    return how


def _approval_code(reason: str) -> str:
    r = (reason or "").lower()
    for needle, code in (
        ("without a purchase order", "APPROVAL:NON_PO"),
        ("sent for approval by a person", "APPROVAL:SENT_BY_PERSON"),
        ("where a person always decides", "APPROVAL:ABOVE_LIMIT"),
        ("says a person always decides", "APPROVAL:ALWAYS_HUMAN_RULE"),
        ("automation level is manual", "APPROVAL:VENDOR_MANUAL"),
        ("clerk confirms", "APPROVAL:ASSISTED_PROPOSAL"),
        ("open exceptions", "APPROVAL:OPEN_EXCEPTIONS"),
    ):
        if needle in r:
            return code
    if re.search(r"it is in [a-z]{0,3}, not", r):
        return "APPROVAL:FOREIGN_CURRENCY"
    return "APPROVAL:OTHER"


def _judge(doc: LabelledFile, truth: dict, invoice, po_lines: str) -> Outcome:
    from audit.models import AuditEvent

    wrong = []
    for name in STORED_FIELDS:
        if not checked(name, truth, doc.text):
            continue
        value = getattr(invoice, name)
        got = None if value in (None, "") else str(value)
        if not right(name, truth[name], got):
            wrong.append(f"{name}(missing)" if got is None else name)
    events = list(
        AuditEvent.objects.filter(invoice_id=invoice.pk)
        .order_by("id")
        .values_list("action", "actor", "payload")
    )
    # Nobody acts here; say so from the record rather than assume it.
    person = any(not actor.startswith(("system:", "cli:")) for _, actor, _ in events)
    outcome = Outcome(doc.file, "error", status=invoice.status, wrong=wrong, po_lines=po_lines)
    if invoice.status in AUTO_STATUSES and not person:
        outcome.kind = "false_auto" if wrong else "touchless_right"
    elif invoice.status in PERSON_STATUSES:
        outcome.kind = "to_person"
        by_code: dict[str, set] = {}
        for e in invoice.open_exceptions():
            details = e.details or {}
            names = [details["field"]] if "field" in details else details.get("fields") or []
            by_code.setdefault(e.code, set()).update(names)
        outcome.reasons = [
            f"{code}[{','.join(sorted(names))}]" if names else code
            for code, names in sorted(by_code.items())
        ]
        if invoice.status == "pending_approval":
            reasons = [p.get("reason", "") for a, _, p in events if a == "invoice.pending_approval"]
            if reasons:
                outcome.reasons.append(_approval_code(reasons[-1]))
    else:
        outcome.reasons = [f"final status {invoice.status}"]
    return outcome


def print_outcomes(title: str, outcomes: list[Outcome]) -> None:
    n = len(outcomes)
    width = min(max(len(o.file) for o in outcomes), 44)
    print(f"\n{title}")
    print(f"  {'file':<{width}} {'class':<15} {'status':<16} {'PO lines':<22} why / wrong fields")
    for o in outcomes:
        name = o.file if len(o.file) <= width else o.file[: width - 1] + "~"
        detail = ", ".join(o.reasons)
        if o.wrong:
            detail += (" | " if detail else "") + "wrong: " + ",".join(o.wrong)
        print(f"  {name:<{width}} {o.kind:<15} {o.status:<16} {o.po_lines:<22} {detail}")
    counts = {k: sum(o.kind == k for o in outcomes) for k in _KINDS}
    auto = counts["touchless_right"] + counts["false_auto"]
    print(
        f"  touchless rate (posted with no person, every checked field right): "
        f"{counts['touchless_right']}/{n} = {counts['touchless_right'] / n:.1%}"
    )
    print(
        f"  false auto-approval rate (posted with no person, a field wrong or missing): "
        f"{counts['false_auto']}/{n} = {counts['false_auto'] / n:.1%}"
        f"   (posted with no person in all: {auto}/{n})"
    )
    print(f"  to a person {counts['to_person']}, errors {counts['error']}")


_KINDS = ("touchless_right", "false_auto", "to_person", "error")
