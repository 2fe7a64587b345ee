"""Line items from printed rows: a row is one that ends in quantity, unit price and amount.

The arithmetic is the evidence: quantity times unit price must equal the amount within a cent,
which tells a table row from an address line or a total that happens to hold numbers.
"""

import re
from decimal import Decimal

from extraction.layout import Line, Word
from extraction.parsing import Conventions, parse_amount
from extraction.types import LineItem

CENT = Decimal("0.01")
# At most this many words (units such as "pcs", currency signs, a VAT rate "19 %") may
# sit between quantity, unit price and amount.
_MAX_FILLER = 4
_CODE = re.compile(r"^(?=.*\d)[A-Z0-9][A-Za-z0-9\-_./]{2,}$")
_POSITION = re.compile(r"^\d{1,3}\.?$")


def find_line_items(lines: list[Line], conventions: Conventions) -> list[LineItem]:
    items = []
    for line in lines:
        item = _line_item(line, conventions)
        if item:
            items.append(item)
    return items


def _line_item(line: Line, conventions: Conventions) -> LineItem | None:
    words = line.words
    numbers, rate = _numbers(words, conventions)
    triple = _quantity_price_amount(numbers)
    if not triple:
        return None
    (q_index, quantity), (_, unit_price), (_, amount) = triple
    code, description = _code_and_description(line, words[q_index])
    if not description and not code:
        return None
    return LineItem(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        item_code=code,
        tax_rate=rate,
    )


def _numbers(words: list[Word], conventions: Conventions):
    """(index, value) of each number in the row, and the VAT rate if one is printed."""
    numbers, rate = [], None
    for index, word in enumerate(words):
        following = words[index + 1].text if index + 1 < len(words) else ""
        if word.text.endswith("%") or following == "%":
            rate = parse_amount(word.text.rstrip("%"), conventions) or rate
            continue
        value = parse_amount(word.text, conventions)
        if value is not None:
            numbers.append((index, value))
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
                if quantity and abs(quantity * price - amount) <= CENT:
                    return numbers[i], numbers[j], numbers[k]
    return None


def _code_and_description(line: Line, quantity_word: Word) -> tuple[str, str]:
    """Split the text before the quantity into an optional item code and a description.

    Only a phrase standing apart in its own column counts as a code, so a description that
    starts with "100mm" is not mistaken for one; a leading row number is dropped.
    """
    phrases = [
        [word for word in segment.words if word.x1 <= quantity_word.x0] for segment in line.segments
    ]
    phrases = [phrase for phrase in phrases if phrase]
    if len(phrases) >= 2 and len(phrases[0]) == 1 and _POSITION.match(phrases[0][0].text):
        phrases = phrases[1:]
    code = ""
    if len(phrases) >= 2 and len(phrases[0]) == 1 and _CODE.match(phrases[0][0].text):
        code = phrases.pop(0)[0].text
    description = " ".join(word.text for phrase in phrases for word in phrase)
    return code, description.strip()
