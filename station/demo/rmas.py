"""Deterministic, realistic demo RMAs, so a fresh station can be shown and tried with no ERP.

The same (count, seed, today) always gives the same records; only `random.Random(seed)` is
used, never the global generator, so tests and screenshots are reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from station.codes.check_digits import gs1_check_digit
from station.common.money import CURRENCY_EXPONENTS
from station.common.vocabulary import Category, Reason, RequestedOutcome
from station.receiving.rma_records import RmaLineRecord, RmaRecord

FIRST_RMA = 100_001
_MAX_COUNT = 999_999 - FIRST_RMA + 1


@dataclass(frozen=True)
class _Product:
    sku: str
    description: str
    category: Category
    price_eur: Decimal
    gtin: str
    serial_style: str | None  # "SN" (electronics), "WT" (watches) or None


# (sku, description, price in EUR) per category; prices are what a mid-market shop charges.
_CATALOGUE: dict[Category, tuple[tuple[str, str, str], ...]] = {
    Category.APPAREL: (
        ("APP-TSH-0421", "Organic cotton crew-neck T-shirt, white, M", "19.99"),
        ("APP-JMP-1187", "Merino crew-neck jumper, navy, M", "89.00"),
        ("APP-JNS-0730", "Slim-fit stretch jeans, indigo, W32 L32", "69.95"),
        ("APP-DRS-2214", "Linen midi wrap dress, sage, 38", "79.00"),
        ("APP-JKT-0912", "Waterproof hooded rain jacket, olive, L", "129.00"),
        ("APP-SHR-0345", "Oxford button-down shirt, light blue, 15.5\"", "45.00"),
        ("APP-HOD-1502", "Heavyweight zip hoodie, heather grey, XL", "59.95"),
        ("APP-LEG-0618", "High-rise running leggings, black, S", "39.99"),
        ("APP-COT-3390", "Wool-blend double-breasted coat, camel, 40", "249.00"),
        ("APP-SCF-0207", "Cashmere scarf, oatmeal", "95.00"),
    ),
    Category.FOOTWEAR: (
        ("FTW-RUN-4410", "Road running shoes, men's, grey/lime, EU 43", "139.95"),
        ("FTW-SNK-2031", "Leather low-top sneakers, white, EU 39", "99.00"),
        ("FTW-BOT-7725", "Chelsea boots, suede, tan, UK 9", "165.00"),
        ("FTW-SND-1108", "Cork footbed sandals, black, EU 41", "64.95"),
        ("FTW-HKB-5520", "Waterproof hiking boots, women's, EU 38", "179.00"),
        ("FTW-LOA-3307", "Penny loafers, burgundy leather, UK 8", "119.00"),
        ("FTW-SLP-0904", "Shearling-lined slippers, chestnut, EU 40", "49.95"),
        ("FTW-TRL-6612", "Trail running shoes, women's, EU 39.5", "149.00"),
        ("FTW-KID-2290", "Kids' light-up trainers, navy, EU 30", "39.95"),
    ),
    Category.ELECTRONICS: (
        ("ELE-LAP-1401", "14\" ultrabook laptop, 16 GB RAM, 512 GB SSD", "1299.00"),
        ("ELE-HPH-0788", "Wireless noise-cancelling headphones, black", "329.00"),
        ("ELE-EBD-0215", "True wireless earbuds with charging case, white", "149.00"),
        ("ELE-PHN-6128", "Smartphone 128 GB, graphite, unlocked", "799.00"),
        ("ELE-TAB-1011", "10.9\" tablet, Wi-Fi, 64 GB, silver", "449.00"),
        ("ELE-SWT-0442", "GPS fitness smartwatch, 45 mm", "279.00"),
        ("ELE-CAM-2450", "Mirrorless camera body, 24 MP", "1649.00"),
        ("ELE-SPK-0330", "Portable Bluetooth speaker, waterproof, blue", "89.99"),
        ("ELE-MON-2701", "27\" 4K IPS monitor, USB-C", "429.00"),
        ("ELE-ERD-0806", "E-reader, 6.8\" glare-free display, 16 GB", "149.99"),
        ("ELE-KBD-0119", "Mechanical keyboard, UK ISO layout, brown switches", "119.00"),
    ),
    Category.HOME_KITCHEN: (
        ("HOM-ESP-0650", "Dual-boiler espresso machine, stainless steel", "649.00"),
        ("HOM-KNF-0208", "Chef's knife, 20 cm, Damascus steel", "89.00"),
        ("HOM-PAN-1128", "Non-stick frying pan, 28 cm, induction", "44.95"),
        ("HOM-DUV-2200", "Cotton sateen duvet cover set, king, white", "79.00"),
        ("HOM-KTL-0017", "Electric gooseneck kettle, 1 L, matte black", "69.00"),
        ("HOM-BLN-0900", "High-speed blender, 1.5 L", "159.00"),
        ("HOM-TWL-0460", "Turkish cotton bath towels, set of 4, stone", "49.95"),
        ("HOM-LMP-0315", "Ceramic table lamp with linen shade", "74.00"),
        ("HOM-DIN-1206", "Stoneware dinner set, 12 pieces, speckled white", "119.00"),
        ("HOM-VAC-2024", "Cordless stick vacuum cleaner", "299.00"),
    ),
    Category.BEAUTY_PERSONAL_CARE: (
        ("BTY-SRM-0130", "Hyaluronic acid serum, 30 ml", "24.90"),
        ("BTY-PRF-0550", "Eau de parfum, 50 ml", "89.00"),
        ("BTY-HDR-2000", "Ionic hair dryer with diffuser, 2000 W", "119.00"),
        ("BTY-SUN-0050", "Mineral sunscreen SPF 50, 100 ml", "18.50"),
        ("BTY-LIP-0312", "Matte liquid lipstick, shade 312 Rosewood", "21.00"),
        ("BTY-TRM-0700", "Cordless beard trimmer, 20 length settings", "59.99"),
        ("BTY-PAL-0412", "Eyeshadow palette, 12 warm neutrals", "42.00"),
        ("BTY-SHM-0250", "Sulphate-free shampoo, 250 ml", "14.95"),
        ("BTY-BRS-0010", "Sonic electric toothbrush with travel case", "79.99"),
    ),
    Category.TOYS: (
        ("TOY-BRK-1450", "Construction brick set, space station, 1450 pieces", "149.99"),
        ("TOY-PZL-1000", "Jigsaw puzzle, 1000 pieces, alpine lake", "19.99"),
        ("TOY-RCC-0024", "Remote-control off-road car, 1:16", "69.95"),
        ("TOY-PLS-0305", "Plush bear, 35 cm, caramel", "24.95"),
        ("TOY-BRD-0042", "Family strategy board game", "39.99"),
        ("TOY-DOL-0210", "Wooden dolls' house with furniture", "129.00"),
        ("TOY-STM-0088", "Coding robot kit, ages 8+", "89.00"),
        ("TOY-TRN-0500", "Wooden train set, 50 pieces", "59.00"),
        ("TOY-SCT-0125", "Foldable kick scooter, 125 mm wheels, mint", "79.00"),
    ),
    Category.BOOKS_MEDIA: (
        ("BKM-HBK-0781", "Hardback novel, signed first edition", "24.99"),
        ("BKM-CKB-0332", "Cookbook: Nordic home baking, hardback", "32.00"),
        ("BKM-VIN-1973", "Vinyl LP, remastered 180 g pressing", "29.99"),
        ("BKM-BLR-4K01", "4K UHD Blu-ray, nature documentary box set", "44.99"),
        ("BKM-PBK-1102", "Paperback thriller bundle, 3 books", "27.50"),
        ("BKM-ART-0064", "Illustrated art book, slipcase edition", "65.00"),
        ("BKM-GAM-0520", "Video game, console edition, PEGI 12", "69.99"),
        ("BKM-KID-0018", "Children's picture book collection, 5 books", "34.95"),
        ("BKM-DIC-0900", "Spanish–English dictionary, hardback", "39.00"),
    ),
    Category.JEWELLERY_WATCHES: (
        ("JWL-WAT-2450", "Automatic dive watch, 42 mm, steel bracelet", "2450.00"),
        ("JWL-WAT-0399", "Chronograph quartz watch, brown leather strap, 40 mm", "399.00"),
        ("JWL-WAT-0189", "Field watch, 38 mm, canvas strap", "189.00"),
        ("JWL-EAR-0890", "Diamond stud earrings, 0.5 ct, 18k white gold", "890.00"),
        ("JWL-NCK-0145", "Sterling silver pendant necklace, 45 cm", "145.00"),
        ("JWL-RNG-0520", "18k gold band ring, size N", "520.00"),
        ("JWL-BRC-0075", "Freshwater pearl bracelet", "75.00"),
        ("JWL-HOP-0060", "Gold-plated hoop earrings, 25 mm", "59.00"),
        ("JWL-CUF-0110", "Engraved sterling silver cufflinks", "110.00"),
    ),
    Category.OTHER: (
        ("OTH-BPK-0035", "Carry-on travel backpack, 35 L, charcoal", "119.00"),
        ("OTH-YGM-0006", "Yoga mat, 6 mm, natural rubber", "49.00"),
        ("OTH-PET-0102", "Orthopaedic dog bed, large, grey", "89.00"),
        ("OTH-LTN-0400", "Rechargeable camping lantern, 400 lm", "34.95"),
        ("OTH-HLM-0058", "Cycling helmet, M 55–59 cm, matte black", "99.00"),
        ("OTH-UMB-0001", "Windproof folding umbrella, black", "29.00"),
        ("OTH-BTL-0750", "Insulated steel water bottle, 750 ml", "27.95"),
        ("OTH-LGG-0068", "Hard-shell check-in suitcase, 68 cm", "189.00"),
    ),
}

# GS1 company prefixes (7 digits) per category; books carry ISBN-13 ("Bookland" 978).
_GS1_PREFIX: dict[Category, str] = {
    Category.APPAREL: "5701234",
    Category.FOOTWEAR: "8012345",
    Category.ELECTRONICS: "4901234",
    Category.HOME_KITCHEN: "4006381",
    Category.BEAUTY_PERSONAL_CARE: "3401234",
    Category.TOYS: "5012345",
    Category.BOOKS_MEDIA: "9781234",
    Category.JEWELLERY_WATCHES: "7612345",
    Category.OTHER: "7312345",
}

# How often each category shows up in returns; `other` only now and then.
_CATEGORY_WEIGHTS: dict[Category, int] = {
    Category.APPAREL: 22,
    Category.FOOTWEAR: 14,
    Category.ELECTRONICS: 18,
    Category.HOME_KITCHEN: 11,
    Category.BEAUTY_PERSONAL_CARE: 8,
    Category.TOYS: 8,
    Category.BOOKS_MEDIA: 7,
    Category.JEWELLERY_WATCHES: 6,
    Category.OTHER: 3,
}

# What customers say when returning each kind of product.
_REASON_WEIGHTS: dict[Category, dict[Reason, int]] = {
    Category.APPAREL: {
        Reason.WRONG_SIZE: 45, Reason.CHANGED_MIND: 25, Reason.NOT_AS_DESCRIBED: 12,
        Reason.DEFECTIVE: 5, Reason.WRONG_ITEM_SENT: 5, Reason.DAMAGED_IN_TRANSIT: 3,
        Reason.LATE_DELIVERY: 3, Reason.OTHER: 2,
    },
    Category.FOOTWEAR: {
        Reason.WRONG_SIZE: 50, Reason.CHANGED_MIND: 20, Reason.NOT_AS_DESCRIBED: 10,
        Reason.DEFECTIVE: 8, Reason.WRONG_ITEM_SENT: 5, Reason.DAMAGED_IN_TRANSIT: 3,
        Reason.LATE_DELIVERY: 2, Reason.OTHER: 2,
    },
    Category.ELECTRONICS: {
        Reason.DEFECTIVE: 40, Reason.CHANGED_MIND: 18, Reason.NOT_AS_DESCRIBED: 14,
        Reason.DAMAGED_IN_TRANSIT: 12, Reason.WRONG_ITEM_SENT: 8, Reason.LATE_DELIVERY: 4,
        Reason.OTHER: 4,
    },
    Category.HOME_KITCHEN: {
        Reason.DAMAGED_IN_TRANSIT: 25, Reason.DEFECTIVE: 25, Reason.CHANGED_MIND: 25,
        Reason.NOT_AS_DESCRIBED: 15, Reason.WRONG_ITEM_SENT: 6, Reason.OTHER: 4,
    },
    Category.BEAUTY_PERSONAL_CARE: {
        Reason.CHANGED_MIND: 35, Reason.NOT_AS_DESCRIBED: 20, Reason.DAMAGED_IN_TRANSIT: 20,
        Reason.WRONG_ITEM_SENT: 15, Reason.DEFECTIVE: 5, Reason.OTHER: 5,
    },
    Category.TOYS: {
        Reason.CHANGED_MIND: 30, Reason.DEFECTIVE: 25, Reason.DAMAGED_IN_TRANSIT: 15,
        Reason.NOT_AS_DESCRIBED: 15, Reason.LATE_DELIVERY: 10, Reason.WRONG_ITEM_SENT: 5,
    },
    Category.BOOKS_MEDIA: {
        Reason.CHANGED_MIND: 30, Reason.DAMAGED_IN_TRANSIT: 30, Reason.WRONG_ITEM_SENT: 20,
        Reason.DEFECTIVE: 10, Reason.LATE_DELIVERY: 10,
    },
    Category.JEWELLERY_WATCHES: {
        Reason.CHANGED_MIND: 35, Reason.NOT_AS_DESCRIBED: 25, Reason.WRONG_SIZE: 15,
        Reason.DEFECTIVE: 15, Reason.DAMAGED_IN_TRANSIT: 5, Reason.OTHER: 5,
    },
    Category.OTHER: {
        Reason.CHANGED_MIND: 35, Reason.DEFECTIVE: 20, Reason.NOT_AS_DESCRIBED: 20,
        Reason.DAMAGED_IN_TRANSIT: 15, Reason.OTHER: 10,
    },
}


@dataclass(frozen=True)
class _Market:
    """Where a customer lives: their names, currency, and how their parcels are shipped."""

    weight: int
    currency: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    postal_suffix: str | None  # UPU S10 country code of the national post, else UPS


_MARKETS: tuple[_Market, ...] = (
    _Market(12, "EUR",
            ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Maximilian", "Sophie"),
            ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker",
             "Hoffmann"), None),
    _Market(9, "EUR",
            ("Camille", "Louis", "Chloé", "Hugo", "Manon", "Théo", "Léa", "Antoine"),
            ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Roux"),
            None),
    _Market(6, "EUR",
            ("Lucía", "Martín", "Sofía", "Alejandro", "Carmen", "Javier", "Paula", "Iker"),
            ("García", "Fernández", "López", "Martínez", "Sánchez", "Núñez", "Romero",
             "Ortega"), None),
    _Market(6, "EUR",
            ("Giulia", "Lorenzo", "Francesca", "Matteo", "Chiara", "Alessandro", "Sara",
             "Davide"),
            ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
            None),
    _Market(5, "EUR",
            ("Daan", "Emma", "Sem", "Julia", "Lars", "Tess", "Bram", "Fenna"),
            ("de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "de Jong",
             "Mulder"), None),
    _Market(3, "EUR",
            ("Aoife", "Cian", "Siobhán", "Darragh", "Niamh", "Oisín"),
            ("Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne"), None),
    _Market(2, "EUR",
            ("Aino", "Eero", "Venla", "Onni", "Helmi", "Väinö"),
            ("Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine"), None),
    _Market(20, "GBP",
            ("Oliver", "Amelia", "George", "Isla", "Harry", "Olivia", "Jack", "Priya",
             "Mohammed", "Grace"),
            ("Smith", "Jones", "Taylor", "Brown", "Williams", "Patel", "Evans", "Khan",
             "Wilson", "Thompson"), "GB"),
    _Market(24, "USD",
            ("James", "Emily", "Michael", "Madison", "Daniel", "Ava", "Carlos", "Aaliyah",
             "Ethan", "Hannah"),
            ("Johnson", "Williams", "Garcia", "Miller", "Davis", "Rodriguez", "Nguyen",
             "Jackson", "Kim", "Okafor"), None),
    _Market(9, "SEK",
            ("Erik", "Astrid", "Nils", "Elsa", "Oskar", "Maja", "Lars", "Ingrid"),
            ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Söderström",
             "Lindqvist", "Bergström"), "SE"),
    _Market(4, "JPY",
            ("Haruto", "Yui", "Sota", "Aoi", "Ren", "Hina", "Takumi", "Sakura"),
            ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
             "Nakamura"), "JP"),
)

# Indicative EUR exchange rates; prices are then rounded to local price points.
_EUR_RATES: dict[str, Decimal] = {
    "EUR": Decimal(1), "GBP": Decimal("0.86"), "USD": Decimal("1.09"),
    "SEK": Decimal("11.40"), "JPY": Decimal(162),
}

_SERIAL_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0
_UPS_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXY"


def demo_rmas(count: int = 240, *, seed: int = 7, today: date) -> list[RmaRecord]:
    """`count` plausible RMAs (RMA-100001 upwards) ordered 1-60 days before `today`.

    Deterministic for the same arguments; every record passes the CSV import's rules.
    """
    if not 0 <= count <= _MAX_COUNT:
        raise ValueError(f"count must be between 0 and {_MAX_COUNT}, got {count}")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    products = _products()
    order_dates = sorted(today - timedelta(days=rng.randint(1, 60)) for _ in range(count))
    # The first RMAs cover every category once, so even a small demo shows them all.
    opening = list(Category)
    rng.shuffle(opening)
    used_serials: set[str] = set()
    order_counter = 4000 + rng.randint(0, 999)
    records: list[RmaRecord] = []
    for index, order_date in enumerate(order_dates):
        order_counter += rng.randint(3, 41)
        market = rng.choices(_MARKETS, weights=[m.weight for m in _MARKETS])[0]
        first_category = opening[index] if index < len(opening) else _pick_category(rng)
        lines = _lines(rng, products, first_category, market.currency, used_serials)
        records.append(
            RmaRecord(
                rma_number=f"RMA-{FIRST_RMA + index:06d}",
                order_number=f"SO-{order_date.year}-{order_counter:06d}",
                order_date=order_date,
                customer_name=f"{rng.choice(market.first_names)} {rng.choice(market.last_names)}",
                requested=_requested(rng, lines),
                lines=lines,
                carrier_tracking=_tracking(rng, market) if rng.random() < 0.6 else None,
            )
        )
    return records


def _products() -> dict[Category, list[_Product]]:
    catalogue: dict[Category, list[_Product]] = {}
    for category, entries in _CATALOGUE.items():
        prefix = _GS1_PREFIX[category]
        catalogue[category] = []
        for position, (sku, description, price) in enumerate(entries):
            payload = f"{prefix}{(position * 379 + 1021) % 100_000:05d}"
            serial_style = (
                "SN" if category is Category.ELECTRONICS
                else "WT" if sku.startswith("JWL-WAT-") else None
            )
            catalogue[category].append(
                _Product(
                    sku=sku,
                    description=description,
                    category=category,
                    price_eur=Decimal(price),
                    gtin=payload + str(gs1_check_digit(payload)),
                    serial_style=serial_style,
                )
            )
    return catalogue


def _pick_category(rng: random.Random) -> Category:
    return rng.choices(list(_CATEGORY_WEIGHTS), weights=list(_CATEGORY_WEIGHTS.values()))[0]


def _lines(
    rng: random.Random,
    products: dict[Category, list[_Product]],
    first_category: Category,
    currency: str,
    used_serials: set[str],
) -> tuple[RmaLineRecord, ...]:
    line_count = rng.choices((1, 2, 3), weights=(64, 26, 10))[0]
    chosen: list[_Product] = []
    category = first_category
    while len(chosen) < line_count:
        candidates = [p for p in products[category] if p not in chosen]
        chosen.append(rng.choice(candidates))
        # Baskets lean towards one kind of product: most further lines share the category.
        category = first_category if rng.random() < 0.55 else _pick_category(rng)
    lines = []
    for line_no, product in enumerate(chosen, start=1):
        reasons = _REASON_WEIGHTS[product.category]
        # Serialised and expensive items are bought one at a time; cheap ones sometimes in twos.
        single = product.serial_style is not None or product.price_eur >= 150
        quantity = 1 if single else rng.choices((1, 2, 3), weights=(80, 14, 6))[0]
        lines.append(
            RmaLineRecord(
                line_no=line_no,
                sku=product.sku,
                description=product.description,
                category=product.category,
                quantity=quantity,
                unit_price_minor=_local_price_minor(product.price_eur, currency),
                currency=currency,
                reason=rng.choices(list(reasons), weights=list(reasons.values()))[0],
                gtin=product.gtin,
                expected_serial=_serial(rng, product.serial_style, used_serials),
            )
        )
    return tuple(lines)


def _local_price_minor(price_eur: Decimal, currency: str) -> int:
    """Convert a EUR list price to a believable local price point, in minor units."""
    exponent = CURRENCY_EXPONENTS[currency]
    if currency == "EUR":
        major = price_eur
    elif currency == "JPY":
        major = _round_to(price_eur * _EUR_RATES[currency], 100) - 20  # e.g. 12,980 yen
    elif currency == "SEK":
        major = _round_to(price_eur * _EUR_RATES[currency], 10) - 1  # e.g. 899 kr
    else:
        converted = price_eur * _EUR_RATES[currency]
        if converted >= 100:
            major = _round_to(converted, 10) - 1  # e.g. 1,119.00
        else:
            major = max(_round_to(converted, 1), Decimal(1)) - Decimal("0.01")  # e.g. 16.99
    return int(major.scaleb(exponent))


def _round_to(amount: Decimal, step: int) -> Decimal:
    return (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def _serial(rng: random.Random, style: str | None, used: set[str]) -> str | None:
    if style is None:
        return None
    while True:
        if style == "WT":
            serial = "WT" + "".join(rng.choices("0123456789", k=8))  # e.g. WT48213907
        else:
            serial = "SN-" + "".join(rng.choices(_SERIAL_ALPHABET, k=9))  # e.g. SN-7F3K2Q9X1
        if serial not in used:
            used.add(serial)
            return serial


def _requested(rng: random.Random, lines: tuple[RmaLineRecord, ...]) -> RequestedOutcome:
    outcomes = (RequestedOutcome.REFUND, RequestedOutcome.STORE_CREDIT, RequestedOutcome.EXCHANGE)
    if any(line.reason is Reason.WRONG_SIZE for line in lines):
        return rng.choices(outcomes, weights=(50, 10, 40))[0]  # the right size, please
    return rng.choices(outcomes, weights=(76, 14, 10))[0]


def _tracking(rng: random.Random, market: _Market) -> str:
    if market.postal_suffix is not None:
        return _s10(rng, market.postal_suffix)
    return _ups(rng)


def _ups(rng: random.Random) -> str:
    """A UPS "1Z" number with a correct check digit, e.g. 1Z999AA10123456784."""
    shipper = "".join(rng.choices(_UPS_ALPHABET, k=6))
    body = shipper + rng.choice(("01", "02", "03", "12", "90")) + f"{rng.randrange(10**7):07d}"
    total = 0
    for position, char in enumerate(body):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * 2 if position % 2 else value
    return f"1Z{body}{(10 - total % 10) % 10}"


def _s10(rng: random.Random, country: str) -> str:
    """A UPU S10 postal item number with its mod-11 check digit, e.g. RR123456785GB."""
    serial = f"{rng.randrange(10**8):08d}"
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    service = rng.choice(("RR", "RX", "LX", "EJ"))
    return f"{service}{serial}{check}{country}"
