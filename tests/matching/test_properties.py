"""Properties of the matching engine over generated orders and invoices (hypothesis)."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import (
    InvoiceFacts,
    LineFacts,
    POLineFacts,
    PurchaseOrderFacts,
    ToleranceRule,
    Tolerances,
    match,
)

RULES = Tolerances((ToleranceRule(1, 1, "global"),))
QUANTITY = st.integers(min_value=0, max_value=500).map(D)
PRICE = st.integers(min_value=1, max_value=500_000).map(lambda cents: D(cents) / 100)


@st.composite
def order_lines(draw):
    """1-4 PO lines, each with what was ordered, received and already billed."""
    lines = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        ordered = draw(st.integers(1, 500).map(D))
        received = draw(st.integers(0, int(ordered)).map(D))
        billed = draw(st.integers(0, int(received)).map(D))
        lines.append(
            POLineFacts(
                id=number,
                po_number="4500001",
                line_no=number,
                description=f"Item {number} of the order",
                ordered=ordered,
                unit_price=draw(PRICE),
                item_code=f"P-{number}",
                tax_rate=D(19),
                received=received,
                billed=billed,
            )
        )
    return lines


def _order(lines) -> PurchaseOrderFacts:
    return PurchaseOrderFacts("4500001", 1, "Acme", "EUR", "open", tuple(lines))


def _invoice(lines: list[LineFacts]) -> InvoiceFacts:
    net = sum((line.amount for line in lines), D(0))
    tax = sum((line.amount * D("0.19") for line in lines), D(0)).quantize(D("0.01"))
    return InvoiceFacts(
        invoice_number="INV-1",
        invoice_date=date(2026, 10, 10),
        currency="EUR",
        net_amount=net,
        tax_amount=tax,
        total_amount=net + tax,
        po_number="4500001",
        vendor_id=1,
        vendor_name="Acme",
        lines=tuple(lines),
    )


def _billing(po_lines, quantities) -> list[LineFacts]:
    return [
        LineFacts(
            position=index,
            description=po_line.description,
            quantity=quantity,
            unit_price=po_line.unit_price,
            amount=quantity * po_line.unit_price,
            item_code=po_line.item_code,
            tax_rate=D(19),
        )
        for index, (po_line, quantity) in enumerate(zip(po_lines, quantities, strict=True), 1)
        if quantity > 0
    ]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_billing_beyond_what_was_received_never_passes_without_an_exception(data):
    po_lines = data.draw(order_lines())
    quantities = [data.draw(QUANTITY) for _ in po_lines]
    lines = _billing(po_lines, quantities)
    if not lines:
        return

    result = match(_invoice(lines), [_order(po_lines)], duplicates=[], tolerances=RULES)

    beyond = any(
        po_line.billed + quantity > po_line.received
        for po_line, quantity in zip(po_lines, quantities, strict=True)
    )
    if beyond:
        assert set(result.codes) & {"NOT_RECEIVED", "QTY_VARIANCE", "OVER_BILLED"}
    if result.clean:
        assert not beyond


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_clean_invoice_never_gets_an_exception(data):
    po_lines = data.draw(order_lines())
    # What may still be billed: received less billed, at the ordered price (or within it).
    quantities = [
        data.draw(st.integers(0, int(line.received - line.billed)).map(D)) for line in po_lines
    ]
    lines = _billing(po_lines, quantities)
    if not lines:
        return

    result = match(_invoice(lines), [_order(po_lines)], duplicates=[], tolerances=RULES)

    assert result.findings == []
    assert {m.po_line_id for m in result.line_matches} == {
        po_line.id for po_line, q in zip(po_lines, quantities, strict=True) if q > 0
    }
