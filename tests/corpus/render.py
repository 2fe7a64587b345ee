"""Drawing and formatting helpers shared by the corpus layouts: an fpdf2 page with core
fonts, text placement, and numbers and dates in each country's printed convention.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF

from core.demo_documents import DemoInvoice

SYMBOLS = {"EUR": "\u20ac", "USD": "$", "GBP": "\u00a3"}
MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}  # fmt: skip


def new_pdf(inv: DemoInvoice, orientation: str = "P", page=(210, 297)) -> FPDF:
    pdf = FPDF(orientation=orientation, unit="mm", format=page)
    # cp1252 gives the core fonts €, £ and accented letters; a fixed date keeps bytes stable.
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_title(f"Invoice {inv.invoice_number}")
    pdf.set_author(inv.vendor_name)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    return pdf


def put(pdf, x, y, text, size=10, style="", w=0, align="L", color=(0, 0, 0), font="Helvetica"):
    pdf.set_font(font, style, size)
    pdf.set_text_color(*color)
    pdf.set_xy(x, y)
    pdf.cell(w, size * 0.45, text, align=align)


def stack(pdf, x, y, lines, size=10, step=5.0, **kwargs) -> float:
    for row, text in enumerate(lines):
        put(pdf, x, y + row * step, text, size=size, **kwargs)
    return y + len(lines) * step


def grid(
    pdf, x, y, columns, rows, size=9, height=6.5, header_fill=None, border=1, font="Helvetica"
):
    """A table; columns are (title, width, align). Returns the y below the last row."""
    pdf.set_text_color(0, 0, 0)
    if header_fill:
        pdf.set_fill_color(*header_fill)
    pdf.set_font(font, "B", size)
    pdf.set_xy(x, y)
    if any(title for title, _, _ in columns):
        for title, width, align in columns:
            pdf.cell(width, height, title, border=border, align=align, fill=bool(header_fill))
    else:  # a key/value block: no header row
        y -= height
    pdf.set_font(font, "", size)
    pdf.set_text_color(0, 0, 0)
    for row in rows:
        y += height
        pdf.set_xy(x, y)
        for text, (_, width, align) in zip(row, columns, strict=True):
            pdf.cell(width, height, text, border=border, align=align)
    return y + height


def amount(value: Decimal, style: str) -> str:
    """1,234.56 (en), 1.234,56 (de), 1 234,56 (fr), 1'234.56 (ch), 1234.56 (plain)."""
    places = max(2, -value.as_tuple().exponent)
    english = f"{value:,.{places}f}"
    separators = {"en": (",", "."), "de": (".", ","), "fr": ("\u00a0", ","), "ch": ("'", ".")}
    if style == "plain":
        return english.replace(",", "")
    group, mark = separators[style]
    return english.replace(",", "\0").replace(".", mark).replace("\0", group)


def quantity(value: Decimal, style: str = "en") -> str:
    whole = value == value.to_integral_value()
    text = str(value.quantize(Decimal(1))) if whole else str(value.normalize())
    return text.replace(".", ",") if style in ("de", "fr") else text


def day(value: date, style: str) -> str:
    month = value.month - 1
    formats = {
        "dmy.": f"{value:%d.%m.%Y}",
        "dmy/": f"{value:%d/%m/%Y}",
        "mdy/": f"{value:%m/%d/%Y}",
        "iso": value.isoformat(),
        "d-mon-y": f"{value.day:02d}-{MONTHS['en'][month][:3]}-{value.year}",
        "en": f"{value.day} {MONTHS['en'][month]} {value.year}",
        "en-us": f"{MONTHS['en'][month]} {value.day}, {value.year}",
        "de": f"{value.day}. {MONTHS['de'][month]} {value.year}",
        "fr": f"{value.day} {MONTHS['fr'][month]} {value.year}",
    }
    return formats[style]


def spaced_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def address_lines(address: str) -> list[str]:
    return [part.strip() for part in address.splitlines() if part.strip()]


def printed_vat_id(vat_id: str) -> str:
    """Swiss UIDs print as CHE-123.456.789 MWST; the others as they are."""
    if vat_id.startswith("CHE"):
        digits = vat_id[3:]
        return f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]} MWST"
    return vat_id
