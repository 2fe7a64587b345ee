"""Line items from printed rows: a row is one that ends in quantity, unit price and amount.

The arithmetic is the evidence: quantity times unit price must equal the amount within a cent,
which tells a table row from an address line or a total that happens to hold numbers. Signs
are left out of it: a credit note prints "4  25,00  100,00-" as often as "4-  25,00  100,00-",
and each number keeps the sign it was printed with.
"""

import re
from dataclasses import replace
from decimal import Decimal

from extraction.layout import Line, Word
from extraction.parsing import (
    Conventions,
    amount_at_end,
    decimals_pattern,
    parse_amount,
    parse_date,
)
from extraction.types import LineItem

CENT = Decimal("0.01")
# At most this many words (units such as "pcs", currency signs, a VAT rate "19 %") may
# sit between quantity, unit price and amount.
_MAX_FILLER = 4
_CODE = re.compile(r"^(?=.*\d)[A-Z0-9][A-Za-z0-9\-_./]{2,}$")
_POSITION = re.compile(r"^\d{1,3}\.?$")
_FILLER_SIGNS = {"x", "@", "\u00d7", "\u20ac", "$", "\u00a3"}


def find_line_items(lines: list[Line], conventions: Conventions) -> list[LineItem]:
    return [item for _, item in item_rows(lines, conventions)]


def item_rows(lines: list[Line], conventions: Conventions) -> list[tuple[int, LineItem]]:
    """The table's items with the index of the line each was read from."""
    items = []
    previous: Line | None = None
    for index, line in enumerate(lines):
        item = _line_item(line, conventions)
        if item and not item.description and not item.item_code:
            # Receipts and some ERP prints put the description on its own line above the
            # figures ("Coffee beans 1kg" / "2 x 18.50   37.00").
            above = previous and _description_above(previous, line)
            item = replace(item, description=above) if above else None
        if item:
            items.append((index, item))
        previous = None if item else line
    return items


def listed_items(lines: list[Line], end: int, total: Decimal, conventions) -> list[LineItem]:
    """Charges listed without a table, as utility and service bills print them: the run of
    rows just above line `end` (the net amount's) that each end in an amount and say what
    it is for, where the amounts add up to `total`. The sum is the evidence; a heading
    ("Electricity charges") or any row without an amount ends the run."""
    run: list[LineItem] = []
    for line in reversed(lines[:end]):
        if line.page != lines[end].page or len(line.segments) < 2:
            break
        amount = money(line.segments[-1].text, conventions)
        description = " ".join(segment.text for segment in line.segments[:-1])
        if amount is None or not re.search(r"[^\W\d_]{2}", description):
            break
        run.insert(0, LineItem(description=description, amount=amount))
    # The longest run ending at `end` whose amounts add up.
    for start in range(len(run)):
        if len(run) - start >= 2 and sum(item.amount for item in run[start:]) == total:
            return run[start:]
    return []


def money(text: str, conventions: Conventions) -> Decimal | None:
    """An amount printed as money, with cents ("£1,202.19", "7.525,26 €", "1 234,56-", or
    thousandths in a three-decimal currency: "926,400"), at the end of `text`; None if
    `text` ends in none."""
    if not re.search(rf"\d[.,]{decimals_pattern(conventions)}(?!\d)", text):
        return None
    return amount_at_end(text, conventions)


def _description_above(above: Line, line: Line) -> str:
    close = above.page == line.page and line.top - above.bottom < (line.bottom - line.top)
    if close and re.search(r"[^\W\d_]{2}", above.text) and not above.text.endswith(":"):
        return above.text
    return ""


def _line_item(line: Line, conventions: Conventions) -> LineItem | None:
    words = line.words
    numbers, rate = _numbers(line, conventions)
    triple = _quantity_price_amount(numbers) or _quantity_first(numbers)
    if not triple:
        return None
    (q_index, quantity), (p_index, unit_price), (_, amount) = triple
    if q_index == 0:
        # Quantity first (US style "QTY  ITEM #  DESCRIPTION  PRICE  TOTAL"): the text
        # between quantity and unit price describes the item.
        code, description = _code_and_description(line, words[q_index], words[p_index])
    else:
        code, description = _code_and_description(line, None, words[q_index])
    return LineItem(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        item_code=code,
        tax_rate=rate,
    )


def _numbers(line: Line, conventions: Conventions):
    """(index, value) of each number in the row, and the VAT rate if one is printed.

    A number printed with spaces between its thousands ("1 733,20", French and Swiss) is
    several words; they are read as one when they stand together in one phrase, and so is a
    minus printed apart after its amount ("100,00 -").
    """
    words = line.words
    phrase_of = {id(word): n for n, segment in enumerate(line.segments) for word in segment.words}
    # The day and year of "1 novembre 2025" are not quantities or prices.
    in_date = set()
    for start in range(len(words) - 2):
        if words[start].text[:1].isdigit() and words[start + 2].text[:1].isdigit():
            text = " ".join(word.text for word in words[start : start + 3])
            if parse_date(text, conventions):
                in_date.update(range(start, start + 3))
    numbers, rate, index = [], None, 0
    while index < len(words):
        word = words[index]
        if index in in_date:
            index += 1
            continue
        following = words[index + 1].text if index + 1 < len(words) else ""
        if word.text.endswith("%") or following == "%":
            rate = parse_amount(word.text.rstrip("%"), conventions) or rate
            index += 1
            continue
        text, end = word.text, index
        while (
            re.fullmatch(r"-?\d{1,3}(?:\s\d{3})*", text)
            and end + 1 < len(words)
            and phrase_of[id(words[end + 1])] == phrase_of[id(word)]
            and re.fullmatch(r"\d{3}(?:[.,]\d+)?-?", words[end + 1].text)
        ):
            end += 1
            text += " " + words[end].text
        # A minus printed apart after its amount ("100,00 -") ends the phrase.
        trailing_minus = end + 1 < len(words) and words[end + 1].text in ("-", "\u2212")
        if trailing_minus and phrase_of[id(words[end + 1])] == phrase_of[id(word)]:
            end += 1
            text += " -"
        value = parse_amount(text, conventions)
        if value is not None:
            numbers.append((end, value))
        index = end + 1
    return numbers, rate


def _quantity_price_amount(numbers):
    # Rightmost first: description text may hold numbers too ("Cable 3m 10mm").
    for k in range(len(numbers) - 1, 1, -1):
        for j in range(k - 1, 0, -1):
            if numbers[k][0] - numbers[j][0] > _MAX_FILLER + 1:
                break
            for i in range(j - 1, -1, -1):
                if numbers[j][0] - numbers[i][0] > _MAX_FILLER + 1:
                    break
                quantity, price, amount = numbers[i][1], numbers[j][1], numbers[k][1]
                if quantity and abs(abs(quantity * price) - abs(amount)) <= CENT:
                    return numbers[i], numbers[j], numbers[k]
    return None


def _quantity_first(numbers):
    """A row that starts with its quantity, with unit price and amount at its end."""
    if not numbers or numbers[0][0] != 0:
        return None
    quantity = numbers[0][1]
    for k in range(len(numbers) - 1, 1, -1):
        for j in range(k - 1, 0, -1):
            if numbers[k][0] - numbers[j][0] > _MAX_FILLER + 1:
                break
            price, amount = numbers[j][1], numbers[k][1]
            if quantity and abs(abs(quantity * price) - abs(amount)) <= CENT:
                return numbers[0], numbers[j], numbers[k]
    return None


def _code_and_description(line: Line, start: Word | None, end: Word) -> tuple[str, str]:
    """Split the text between `start` (exclusive; None for the row's start) and `end` into
    an optional item code and a description.

    Only a phrase standing apart in its own column counts as a code, so a description that
    starts with "100mm" is not mistaken for one; a leading row number is dropped, and so
    are the "x" or "@" of "2 x 18.50".
    """
    left = start.x1 if start else float("-inf")
    phrases = [
        [word for word in segment.words if word.x0 >= left and word.x1 <= end.x0]
        for segment in line.segments
    ]
    phrases = [
        [word for word in phrase if word.text.lower() not in _FILLER_SIGNS] for phrase in phrases
    ]
    phrases = [phrase for phrase in phrases if phrase]
    if len(phrases) >= 2 and len(phrases[0]) == 1 and _POSITION.match(phrases[0][0].text):
        phrases = phrases[1:]
    code = ""
    if len(phrases) >= 2 and len(phrases[0]) == 1 and _CODE.match(phrases[0][0].text):
        code = phrases.pop(0)[0].text
    description = " ".join(word.text for phrase in phrases for word in phrase)
    return code, description.strip()
