"""JSON from outside (the API's bodies, import files) parsed within bounds.

`json.loads` on untrusted text can raise past any handler: a text nested 5,000 deep
exhausts the recursion limit, a 5,000-digit integer hits Python's int digit limit
(ValueError from deep inside), and NaN or Infinity are not JSON numbers at all (RFC 8259,
section 6). `loads` refuses each with a ValueError that says what is wrong, before or while
parsing, never after building something huge.
"""

import json
import re

from django.conf import settings

MAX_JSON_NUMBER = 40  # characters: an amount has at most 16 digits before the point, 6 after
# A string, to its closing quote or the end of the text: one linear pass, however odd.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?')
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def loads(text: str):
    """The value of the JSON `text`. Raises ValueError (json.JSONDecodeError is one) when
    it is not JSON, nests deeper than settings.MAX_JSON_DEPTH, or has a number longer than
    MAX_JSON_NUMBER characters, NaN or Infinity."""
    depth = nesting(text)
    if depth > settings.MAX_JSON_DEPTH:
        raise ValueError(
            f"nested {depth} levels deep; at most {settings.MAX_JSON_DEPTH} are accepted"
        )
    try:
        return json.loads(
            text, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant
        )
    except RecursionError as exc:  # nesting() counted too few: never, but never a crash
        raise ValueError("nested too deep") from exc


def nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings aside);
    counted without parsing, so a text nested 5,000 deep costs no recursion."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _number(kind):
    def parse(literal: str):
        if len(literal) > MAX_JSON_NUMBER:
            raise ValueError(
                f"a number of {len(literal):,} characters; at most {MAX_JSON_NUMBER} are accepted"
            )
        return kind(literal)

    return parse


def _constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
