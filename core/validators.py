"""Names and other text people and the ERP type in must read as they display.

Bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069) make
text display in another order than it is stored ("Acme", U+202E, "gnp.exe" shows as
"Acmeexe.png"), and control characters (Unicode category Cc: NUL, ESC, DEL, the C1 range)
are invisible or break exports and logs. Both are refused, with the character named, at
every door where a name is entered: the model fields (so the Django admin and the screens'
ModelForms refuse them), the master-data API and file import (core.erp.masterdata) and the
user admin. Refused rather than quietly stripped: a name that reached us with them is
something a person should look at, not something to repair behind their back.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

BIDI_CONTROLS = frozenset(
    [chr(code) for code in range(0x202A, 0x202F)] + [chr(code) for code in range(0x2066, 0x206A)]
)
LINE_BREAKS = frozenset("\n\r\t")


def hidden_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The bidi controls and control characters in `text`, in order of appearance; line
    breaks and tabs are allowed when `multiline` (an address)."""
    return [
        char
        for char in text
        if char in BIDI_CONTROLS
        or (unicodedata.category(char) == "Cc" and not (multiline and char in LINE_BREAKS))
    ]


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


@deconstructible
class VisibleText:
    """A validator refusing text with bidi controls or control characters (see the module);
    `multiline=True` allows line breaks and tabs. Raises ValidationError (code
    "hidden_characters") naming the first such character."""

    message = (
        "Remove the hidden character %(character)s: it makes the text display otherwise "
        "than it reads."
    )
    code = "hidden_characters"

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        found = hidden_characters(str(value), multiline=self.multiline)
        if found:
            raise ValidationError(
                self.message, code=self.code, params={"character": _describe(found[0])}
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, VisibleText) and other.multiline == self.multiline


visible_text = VisibleText()
visible_lines = VisibleText(multiline=True)
