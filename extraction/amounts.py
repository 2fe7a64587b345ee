"""Net, tax and total: chosen so that the arithmetic holds (net + tax = total).

Labelled candidates are tried first. When no labelled combination adds up (a label the
lists do not know, a table's "VAT %" column taken for a tax line), the right-hand amounts
beneath the line table are tried without labels: a net, the tax line(s) under it and a
total that add up, where the net is also the lines' sum or agrees with a label.
"""

from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations, product

from extraction.layout import Box, Line
from extraction.line_items import listed_items, money
from extraction.parsing import Conventions
from extraction.types import ExtractedField, FieldValue, Provenance

CONFIRMED, CHECKSUM, LABELLED, UNCONFIRMED, GUESS = 0.95, 0.9, 0.85, 0.6, 0.4
NAMES = ("net_amount", "tax_amount", "total_amount")


@dataclass(frozen=True)
class Candidate:
    value: FieldValue
    priority: int  # the label's rank for its field; lower is more specific
    order: int  # reading order, to prefer the first occurrence
    page: int
    bbox: Box

    def field(self, confidence: float) -> ExtractedField:
        return ExtractedField(self.value, confidence, Provenance("text", self.page, self.bbox))


def choose_amounts(
    candidates, items, lines: list[Line] = (), conventions=None, table=()
) -> dict[str, ExtractedField]:
    """`items` are the line items, `table` the indices of the lines they were read from."""
    conventions = conventions or Conventions()
    nets = candidates.get("net_amount", [])
    taxes = candidates.get("tax_amount", [])
    totals = candidates.get("total_amount", [])
    for net, tax, total in product(nets, _tax_options(taxes), totals):
        if net.value + tax.value == total.value:
            return dict(zip(NAMES, (c.field(CONFIRMED) for c in (net, tax, total)), strict=True))
    lines_sum = sum(item.amount for item in items) if items else None
    unlabelled = _unlabelled(lines, conventions, table, candidates, lines_sum)
    if unlabelled:
        return unlabelled
    # Nothing adds up: the most specific label wins, but not a value from inside the line
    # table (a "VAT" column's first row).
    rows = _row_bands(lines, table)
    chosen = {}
    for name, found in zip(NAMES, (nets, taxes, totals), strict=True):
        outside = [c for c in found if not _inside(c, rows)] or found
        if outside:
            best = min(outside, key=lambda c: (c.priority, c.order))
            confirmed = name == "net_amount" and best.value == lines_sum
            chosen[name] = best.field(CONFIRMED if confirmed else UNCONFIRMED)
    return chosen


def _tax_options(taxes: list[Candidate]) -> list[Candidate]:
    # Several VAT rates print one tax line each; their sum is the tax amount. Not every
    # label is a rate's line (a table's "VAT %" column is one too), and a line may offer
    # two values (the base and the tax), so each set of lines, one value each, is tried.
    options = list(taxes)
    by_label: dict[int, list[Candidate]] = {}
    for tax in taxes:
        by_label.setdefault(tax.order, []).append(tax)
    if 1 < len(by_label) <= 6 and len({tax.page for tax in taxes}) == 1:
        options += [
            _sum(list(picked))
            for size in range(2, len(by_label) + 1)
            for labels in combinations(by_label.values(), size)
            for picked in product(*labels)
        ]
    return options


def _sum(taxes: list[Candidate]) -> Candidate:
    boxes = [tax.bbox for tax in taxes]
    box = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    return Candidate(sum(tax.value for tax in taxes), 0, taxes[0].order, taxes[0].page, box)


def _unlabelled(lines, conventions, table, candidates, lines_sum):
    """Net, tax line(s) and total from the right-hand amounts below the line table, in
    that order down the page, adding up; the net must equal the lines' sum, or the rows
    listed just above it, or a labelled net or total must agree. All are positive, or all
    negative as a credit note prints them; the tax is smaller than the net either way."""
    start = max(table) + 1 if table else 0
    right = []  # (line index, amount, candidate)
    for index in range(start, len(lines)):
        line = lines[index]
        if len(line.segments) < 2:
            continue
        segment = line.segments[-1]
        value = money(segment.text, conventions)
        if value:
            right.append((index, value, Candidate(value, 50, index, line.page, segment.bbox)))
    labelled = {
        name: {c.value for c in candidates.get(name, [])} for name in ("net_amount", "total_amount")
    }
    best = None
    for i, k in combinations(range(len(right)), 2):
        (net_line, net, net_c), (_, total, total_c) = right[i], right[k]
        between = right[i + 1 : k]
        if not between or len(between) > 4 or net_c.page != total_c.page:
            continue
        tax = sum(value for _, value, _ in between)
        if net + tax != total or not _one_sign(net, total, *(v for _, v, _ in between)):
            continue
        if abs(tax) >= abs(net):
            continue
        if net == lines_sum:
            evidence = 3
        elif not table and listed_items(lines, net_line, net, conventions):
            evidence = 2
        elif net in labelled["net_amount"] or total in labelled["total_amount"]:
            evidence = 1
        else:
            continue
        rank = (evidence, -(k - i), -i)
        if best is None or rank > best[0]:
            best = (rank, net_c, _sum([c for _, _, c in between]), total_c)
    if best is None:
        return {}
    confidence = CONFIRMED if best[0][0] >= 2 else UNCONFIRMED
    return dict(zip(NAMES, (c.field(confidence) for c in best[1:]), strict=True))


def _one_sign(*values: Decimal) -> bool:
    """All positive (an invoice) or all negative (a credit note printed with its minus signs):
    a discount or a deposit printed negative among positive amounts is not a tax line."""
    return all(value > 0 for value in values) or all(value < 0 for value in values)


def _row_bands(lines: list[Line], table) -> list[tuple[int, float, float]]:
    rows = set(table)
    # The header row above each run of items, where a "VAT %" column's label sits.
    rows |= {index - 1 for index in table if index - 1 not in rows and index > 0}
    return [(lines[i].page, lines[i].top, lines[i].bottom) for i in rows]


def _inside(candidate: Candidate, rows) -> bool:
    middle = (candidate.bbox[1] + candidate.bbox[3]) / 2
    return any(page == candidate.page and top <= middle <= bottom for page, top, bottom in rows)


def confirm_net(found: dict[str, ExtractedField], total: Decimal) -> None:
    """The net amount, when line items listed later add up to it, is confirmed."""
    net = found.get("net_amount")
    if net and net.value == total and net.confidence < CONFIRMED:
        found["net_amount"] = ExtractedField(net.value, CONFIRMED, net.provenance)
