"""A labelled invoice corpus that the project generates itself, to measure extraction.

`generate()` returns the same items, byte for byte, for the same seed: each is the ground
truth (a DemoInvoice) with its text-layer PDF and, on demand, a scanned image of it. The
layouts differ in language, label wording, date and number conventions, table style and
where things sit on the page; they are written to look like invoices from many issuers,
not to suit the extractor. `python -m tests.corpus OUTDIR` writes the files to disk.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from core.demo_documents import DemoInvoice, DemoLine
from core.demo_pdf import pdf_invoice
from tests.corpus import layouts_de, layouts_en, layouts_fr, parties
from tests.corpus.scan import scanned_image

SEED = 2026
COUNT = 52
D = Decimal


@dataclass(frozen=True)
class Layout:
    name: str
    language: str  # en, de, fr
    countries: tuple[str, ...]  # vendor countries that would send this kind of invoice
    draw: Callable[[DemoInvoice, random.Random], bytes]
    prints_iban: bool = True


def _core(layout: str):
    return lambda inv, _rng: pdf_invoice(inv, layout)


LAYOUTS = (
    Layout("classic", "en", ("GB", "IE", "NL", "BE"), _core("classic")),
    Layout("german", "de", ("DE", "AT", "CH"), _core("german")),
    Layout("modern", "en", ("GB", "IE", "NL"), _core("modern")),
    Layout("two-column", "en", ("GB", "IE"), layouts_en.two_column),
    Layout("us-compact", "en", ("US",), layouts_en.us_compact, prints_iban=False),
    Layout("wide-table", "en", ("NL", "BE", "IE", "DE"), layouts_en.wide_table),
    Layout("receipt", "en", ("GB", "IE", "US"), layouts_en.receipt, prints_iban=False),
    Layout("right-vendor", "de", ("DE", "AT"), layouts_de.right_vendor),
    Layout("bordered-box", "de", ("DE", "AT", "CH"), layouts_de.bordered_box),
    Layout("logo-footer", "de", ("DE", "AT"), layouts_de.logo_footer),
    Layout("swiss", "de", ("CH",), layouts_de.swiss),
    Layout("facture", "fr", ("FR", "BE"), layouts_fr.facture),
    Layout("labels-above", "fr", ("FR", "BE", "CH"), layouts_fr.labels_above),
)


@dataclass(frozen=True)
class CorpusItem:
    name: str  # "017-facture"
    layout: str
    language: str
    invoice: DemoInvoice  # the ground truth
    pdf: bytes
    scan_format: str  # "JPEG" or "PNG"
    seed: str

    def scan(self) -> bytes:
        """The page as a scanner would deliver it; rendered on demand, as it takes a while."""
        return scanned_image(self.pdf, self.seed, self.scan_format)

    @property
    def scan_name(self) -> str:
        return f"{self.name}.{'png' if self.scan_format == 'PNG' else 'jpg'}"

    @property
    def has_xml(self) -> bool:
        """EN 16931 XML needs the seller's VAT id and an IBAN for the credit transfer."""
        return bool(self.invoice.vendor_vat_id and self.invoice.vendor_iban)


def generate(seed: int = SEED, count: int = COUNT) -> list[CorpusItem]:
    items = []
    for index in range(count):
        layout = LAYOUTS[index % len(LAYOUTS)]
        item_seed = f"{seed}-{index}"
        rng = random.Random(item_seed)
        invoice = make_invoice(layout, rng)
        items.append(
            CorpusItem(
                name=f"{index:03d}-{layout.name}",
                layout=layout.name,
                language=layout.language,
                invoice=invoice,
                pdf=layout.draw(invoice, rng),
                scan_format="PNG" if index % 8 == 5 else "JPEG",
                seed=item_seed,
            )
        )
    return items


def per_layout_items(prefix: str, layouts, per_layout: int, make) -> list[CorpusItem]:
    """`per_layout` items for each layout, in layout order, each from its own seeded random
    (`{prefix}-{layout}-{k}`); `make(layout, rng)` gives the ground truth. The held-out sets
    are built this way."""
    items = []
    for layout in layouts:
        for k in range(per_layout):
            item_seed = f"{prefix}-{layout.name}-{k}"
            rng = random.Random(item_seed)
            invoice = make(layout, rng)
            items.append(
                CorpusItem(
                    name=f"{len(items):03d}-{layout.name}",
                    layout=layout.name,
                    language=layout.language,
                    invoice=invoice,
                    pdf=layout.draw(invoice, rng),
                    scan_format="JPEG",
                    seed=item_seed,
                )
            )
    return items


def make_invoice(layout: Layout, rng: random.Random) -> DemoInvoice:
    country = rng.choice(layout.countries)
    spec = parties.COUNTRIES[country]
    language = layout.language
    # Most invoices use one VAT rate; a third mix the standard and a reduced one. US sales
    # tax is one rate for the whole invoice.
    mixed = country != "US" and rng.random() < 0.35
    standard = spec.tax_rates[0] if country != "US" else rng.choice(spec.tax_rates)
    lines = []
    descriptions = rng.sample(parties.ITEMS[language], k=rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8]))
    for description in descriptions:
        hours = "(Std.)" in description or "hours" in description or "(heures)" in description
        quantity = D(rng.choice([1, 2, 3, 5, 8, 10, 12, 25, 40, 100]))
        if hours:
            quantity = D(rng.choice(["1.5", "2.25", "4", "7.5", "16"]))
        price = D(rng.choice([rng.randint(99, 9_999), rng.randint(10_000, 250_000)])) / 100
        rate = rng.choice(spec.tax_rates) if mixed else standard
        code = f"{rng.choice(['A', 'P', 'SKU', 'ART'])}-{rng.randint(10, 99_999)}"
        lines.append(DemoLine(code, description, quantity, price, rate))
    invoice_date = date(2025, 1, 1) + timedelta(days=rng.randint(0, 729))
    number = rng.choice(
        [
            f"INV-{invoice_date.year}-{rng.randint(1, 9999):04d}",
            f"{rng.randint(100000, 999999)}",
            f"RE{invoice_date.year % 100}{rng.randint(1, 99999):05d}",
            f"F{invoice_date.year}-{rng.randint(1, 999):03d}",
            f"{invoice_date.year}/{rng.randint(1, 9999):04d}",
            f"{rng.choice('ABCDEFGHJK')}{rng.randint(10, 99)}-{rng.randint(1000, 99999)}",
        ]
    )
    po_number = ""
    if rng.random() < 0.6:
        po_number = rng.choice(
            [
                f"PO-{rng.randint(1000, 99999)}",
                f"45000{rng.randint(10000, 99999)}",
                f"BE-{invoice_date.year}-{rng.randint(1, 999)}",
                f"{rng.randint(10000, 999999)}",
            ]
        )
    buyer_name, buyer_address = rng.choice(parties.BUYERS)
    invoice = DemoInvoice(
        vendor_name=parties.vendor_name(country, rng),
        vendor_vat_id=parties.vat_id(country, rng),
        vendor_iban=parties.iban(country, rng),
        vendor_address=parties.address(country, rng),
        buyer_name=buyer_name,
        invoice_number=number,
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=rng.choice([10, 14, 30, 30, 30, 45, 60])),
        currency=spec.currency,
        po_number=po_number,
        lines=lines,
        buyer_address=buyer_address,
    )
    if not layout.prints_iban:
        invoice = replace(invoice, vendor_iban="")
    return invoice
