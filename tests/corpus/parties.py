"""Plausible vendors for the corpus: names with legal forms, addresses, VAT ids and IBANs
whose check digits are computed, per country, so a checksum test on them means something.
"""

import random
import string
from dataclasses import dataclass
from decimal import Decimal

D = Decimal


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    legal_forms: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[str, ...]  # "postcode city" templates; # is a digit
    tax_rates: tuple[Decimal, ...]  # the standard rate first
    bban: str  # IBAN body pattern: 9 digit, A letter, X alphanumeric; "" for no IBAN


COUNTRIES = {
    "DE": Country(
        "DE", "EUR", ("GmbH", "AG", "GmbH & Co. KG", "e.K."),
        ("Hauptstraße {n}", "Industriestr. {n}", "Am Hafen {n}", "Lindenallee {n}"),
        ("10115 Berlin", "80331 München", "50667 Köln", "20095 Hamburg", "70173 Stuttgart"),
        (D(19), D(7)), "999999999999999999",
    ),
    "AT": Country(
        "AT", "EUR", ("GmbH", "AG", "KG"),
        ("Mariahilfer Straße {n}", "Landstraßer Hauptstraße {n}", "Herrengasse {n}"),
        ("1010 Wien", "8010 Graz", "4020 Linz", "5020 Salzburg"),
        (D(20), D(10)), "9999999999999999",
    ),
    "CH": Country(
        "CH", "CHF", ("AG", "GmbH", "SA", "Sàrl"),
        ("Bahnhofstrasse {n}", "Rue du Rhône {n}", "Seestrasse {n}"),
        ("8001 Zürich", "3011 Bern", "1204 Genève", "4051 Basel"),
        (D("8.1"), D("2.6")), "99999XXXXXXXXXXXX",
    ),
    "FR": Country(
        "FR", "EUR", ("SARL", "SAS", "SA", "EURL"),
        ("{n} rue de la République", "{n} avenue Jean Jaurès", "{n} boulevard Voltaire"),
        ("75011 Paris", "69002 Lyon", "13001 Marseille", "31000 Toulouse", "44000 Nantes"),
        (D(20), D(10), D("5.5")), "9999999999XXXXXXXXXXX99",
    ),
    "BE": Country(
        "BE", "EUR", ("BV", "NV", "SRL", "SA"),
        ("Rue Neuve {n}", "Meir {n}", "Avenue Louise {n}"),
        ("1000 Bruxelles", "2000 Antwerpen", "9000 Gent"),
        (D(21), D(6)), "999999999999",
    ),
    "NL": Country(
        "NL", "EUR", ("BV", "B.V.", "NV"),
        ("Keizersgracht {n}", "Coolsingel {n}", "Stationsplein {n}"),
        ("1015 CJ Amsterdam", "3011 AD Rotterdam", "3511 LX Utrecht"),
        (D(21), D(9)), "AAAA9999999999",
    ),
    "GB": Country(
        "GB", "GBP", ("Ltd", "Limited", "PLC", "LLP"),
        ("{n} High Street", "{n} Victoria Road", "Unit {n}, Riverside Park"),
        ("Manchester M1 2AB", "Leeds LS1 4DY", "London EC1A 1BB", "Bristol BS1 6QA"),
        (D(20), D(5)), "AAAA99999999999999",
    ),
    "IE": Country(
        "IE", "EUR", ("Ltd", "DAC", "Limited"),
        ("{n} Grafton Street", "{n} Merrion Square", "Unit {n}, Parkwest Business Park"),
        ("Dublin 2 D02 X285", "Cork T12 RW7D", "Galway H91 E2K6"),
        (D(23), D("13.5")), "AAAA99999999999999",
    ),
    "US": Country(
        "US", "USD", ("Inc.", "LLC", "Corp.", "Inc"),
        ("{n} Market Street", "{n} Commerce Drive, Suite 200", "{n} Industrial Pkwy"),
        ("San Francisco, CA 94105", "Austin, TX 78701", "Chicago, IL 60601",
         "Newark, NJ 07102"),
        (D("8.875"), D("6.25"), D("7.25")), "",
    ),
}  # fmt: skip

NAME_STEMS = {
    "DE": ("Müller Bürotechnik", "Schneider Industriebedarf", "Hansa Logistik", "Weber & Söhne",
           "Rheinland Elektro", "Nordlicht Software", "Becker Druck", "Alpen Metallbau"),
    "AT": ("Donau Haustechnik", "Steirer Holzbau", "Wiener Papierwaren", "Tirol Kältetechnik"),
    "CH": ("Helvetia Präzision", "Zürcher Laborbedarf", "Léman Services", "Bergtal Maschinen"),
    "FR": ("Fournitures Dupont", "Atelier Moreau", "Transports Lefèvre", "Bureau Express",
           "Imprimerie Garnier", "Solutions Bernard"),
    "BE": ("Brabant Packaging", "Vandenberghe Tools", "Ardennes Catering", "Flanders Office"),
    "NL": ("Van Dijk Installatie", "Oranje Kantoorartikelen", "Delta Koeltechniek",
           "Hollandse Verpakking"),
    "GB": ("Thames Valley Supplies", "Pennine Engineering", "Albion Print", "Harcourt & Reid",
           "Northern Fasteners", "Kestrel IT Services"),
    "IE": ("Liffey Office Solutions", "Shannon Components", "Emerald Facilities"),
    "US": ("Brightline Consulting", "Cascade Industrial Supply", "Lakeshore Janitorial",
           "Summit Data Systems", "Redwood Packaging"),
}  # fmt: skip
BUYERS = (
    ("Northwind Manufacturing Ltd", "12 Harbour Road, Bristol BS1 4DJ"),
    ("Kessler Maschinenbau GmbH", "Werkstraße 7, 73728 Esslingen"),
    ("Société Générale d'Équipement SAS", "8 quai de Bercy, 94220 Charenton"),
    ("Contoso Retail Inc.", "1 Microsoft Way, Redmond, WA 98052"),
    ("Bergmann Logistik AG", "Industriering 3, 6300 Zug"),
)
ITEMS = {
    "en": ("Printer paper A4, box of 5", "Toner cartridge black", "Consulting services (hours)",
           "Safety gloves, size L", "Hex bolts M8 x 40 (100)", "Monthly software licence",
           "On-site support visit", "Cable ties 300mm (pack)", "Shipping and handling",
           "Office chair, ergonomic", "Laptop docking station", "Cleaning supplies"),
    "de": ("Kopierpapier A4, 500 Blatt", "Tonerkartusche schwarz", "Beratungsleistung (Std.)",
           "Schutzhandschuhe Gr. 9", "Sechskantschrauben M8 x 40", "Wartungspauschale",
           "Montagearbeiten", "Kabelbinder 300 mm", "Versandkosten", "Bürostuhl ergonomisch",
           "Dockingstation USB-C", "Reinigungsmittel 10 l"),
    "fr": ("Ramettes papier A4", "Cartouche de toner noire", "Prestation de conseil (heures)",
           "Gants de protection T9", "Vis hexagonales M8 x 40", "Licence logicielle mensuelle",
           "Intervention sur site", "Colliers de serrage 300 mm", "Frais de port",
           "Fauteuil de bureau ergonomique", "Station d'accueil USB-C", "Produits d'entretien"),
}  # fmt: skip


def iban(country: str, rng: random.Random, pattern: str | None = None) -> str:
    """A random IBAN for the country with correct mod-97 check digits; "" where none.
    `pattern` (9 digit, A letter, X either) overrides the country's BBAN shape."""
    pattern = COUNTRIES[country].bban if pattern is None else pattern
    if not pattern:
        return ""
    alphabet = {"9": string.digits, "A": string.ascii_uppercase}
    alphabet["X"] = string.digits + string.ascii_uppercase
    bban = "".join(rng.choice(alphabet[kind]) for kind in pattern)
    numeric = int("".join(str(int(char, 36)) for char in bban + country + "00"))
    return f"{country}{98 - numeric % 97:02d}{bban}"


def vat_id(country: str, rng: random.Random) -> str:
    """A VAT id in the country's printed shape, with check digits where they are simple."""
    digits = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    if country == "US":
        return ""  # no VAT; US vendors print an EIN, which is not a VAT id
    if country == "FR":
        siren = str(rng.randint(100_000_000, 999_999_999))
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    if country == "AT":
        return "ATU" + digits(8)
    if country == "NL":
        return f"NL{digits(9)}B0{rng.randint(1, 9)}"
    if country == "BE":
        # Ten digits: 0, seven more, and 97 minus the first eight modulo 97.
        base = rng.randint(1_000_000, 9_999_999)
        return f"BE0{base:07d}{97 - base % 97:02d}"
    if country == "CH":
        return f"CHE{digits(9)}"
    if country == "IE":
        return f"IE{digits(7)}{rng.choice(string.ascii_uppercase)}"
    return country + digits(9)  # DE, GB


def vendor_name(country: str, rng: random.Random) -> str:
    return f"{rng.choice(NAME_STEMS[country])} {rng.choice(COUNTRIES[country].legal_forms)}"


def address(country: str, rng: random.Random) -> str:
    spec = COUNTRIES[country]
    street = rng.choice(spec.streets).format(n=rng.randint(1, 240))
    return f"{street}\n{rng.choice(spec.cities)}"
