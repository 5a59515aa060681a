"""The sample documents other than technical data sheets: safety data sheets (of each product line
and of each tile material), installation instructions and warranties of vinyl, laminate and wood
floors, and the natural stone care guide; every stated figure recorded as a fact where it is written."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from .document_line_kinds import CareLine, CaulkLine, GroutLine, MortarLine
from .document_lines import CDN_URL, PDF_DIR, safety_data_sheet, sds_path
from .document_model import SampleDocument, Value, Writer, listing, number, say

Revised = Callable[[str], dt.date]
TILE_SHOP = "The Tile Shop"


@dataclasses.dataclass(frozen=True)
class Chemistry:
    """What a safety data sheet says about one kind of product."""

    use: str
    signal: str | None  # None: not classified as hazardous
    hazards: tuple[tuple[str, str], ...]  # (code, statement)
    ingredients: tuple[tuple[str, str, float, float], ...]  # (name, CAS number, % low, % high)
    respirator: str  # the respiratory protection sentence
    silica: bool  # exposure limits of respirable crystalline silica apply


_SILICA = ("Crystalline silica (quartz)", "14808-60-7")
_CEMENT_HAZARDS = (
    ("H315", "Causes skin irritation"),
    ("H318", "Causes serious eye damage"),
    ("H335", "May cause respiratory irritation"),
    ("H350i", "May cause cancer by inhalation"),
)
_DUST_MASK = "Wear a NIOSH-approved N95 respirator when pouring or mixing the powder."
_NO_RESPIRATOR = "No respiratory protection is needed with normal ventilation."
SDS_CHEMISTRY: dict[str, Chemistry] = {
    "cement": Chemistry(
        "Setting tile and stone",
        "Danger",
        _CEMENT_HAZARDS,
        (_SILICA + (40, 70), ("Portland cement", "65997-15-1", 20, 45), ("Calcium carbonate", "1317-65-3", 1, 10)),
        _DUST_MASK,
        True,
    ),
    "cement grout": Chemistry(
        "Grouting tile and stone joints",
        "Danger",
        _CEMENT_HAZARDS,
        (_SILICA + (30, 60), ("Portland cement", "65997-15-1", 10, 30), ("Inorganic pigments", "1309-37-1", 0, 5)),
        _DUST_MASK,
        True,
    ),
    "mastic": Chemistry(
        "Setting wall tile",
        "Warning",
        (("H317", "May cause an allergic skin reaction"),),
        (
            ("Calcium carbonate", "1317-65-3", 40, 60),
            ("Acrylic polymer", "25852-37-3", 10, 20),
            ("Water", "7732-18-5", 15, 25),
        ),
        _NO_RESPIRATOR,
        False,
    ),
    "urethane": Chemistry(
        "Grouting tile joints",
        "Warning",
        (("H317", "May cause an allergic skin reaction"),),
        (
            ("Glass, oxide, chemicals", "65997-17-3", 50, 70),
            ("Polyurethane resin", "9009-54-5", 20, 35),
            ("Water", "7732-18-5", 5, 15),
        ),
        _NO_RESPIRATOR,
        False,
    ),
    "silicone": Chemistry(
        "Sealing joints",
        "Warning",
        (("H319", "Causes serious eye irritation"),),
        (("Polydimethylsiloxane", "70131-67-8", 60, 80), ("Methyltriacetoxysilane", "4253-34-3", 1, 5)),
        "Use with ventilation: curing releases acetic acid vapor.",
        False,
    ),
    "acrylic": Chemistry(
        "Sealing joints",
        None,
        (),
        (("Acrylic polymer", "25852-37-3", 20, 40), _SILICA + (20, 40), ("Water", "7732-18-5", 15, 25)),
        _NO_RESPIRATOR,
        False,
    ),
    "sealer": Chemistry(
        "Sealing grout and stone",
        None,
        (),
        (("Water", "7732-18-5", 85, 95), ("Fluoroalkyl silane", "51851-37-7", 1, 5)),
        _NO_RESPIRATOR,
        False,
    ),
    "solvent": Chemistry(
        "Sealing and stripping stone",
        "Danger",
        (("H226", "Flammable liquid and vapor"), ("H304", "May be fatal if swallowed and enters airways")),
        (("Hydrotreated heavy naphtha", "64742-48-9", 80, 95), ("Alkoxysilane", "2943-75-1", 1, 10)),
        "Use a respirator with organic vapor cartridges in confined spaces.",
        False,
    ),
    "alkaline": Chemistry(
        "Cleaning tile and stone",
        "Warning",
        (("H315", "Causes skin irritation"), ("H319", "Causes serious eye irritation")),
        (
            ("Water", "7732-18-5", 80, 90),
            ("Sodium metasilicate", "6834-92-0", 1, 5),
            ("Alcohol ethoxylate", "68439-46-3", 1, 5),
        ),
        _NO_RESPIRATOR,
        False,
    ),
    "acid": Chemistry(
        "Removing grout haze",
        "Warning",
        (("H315", "Causes skin irritation"), ("H319", "Causes serious eye irritation")),
        (("Water", "7732-18-5", 85, 95), ("Sulfamic acid", "5329-14-6", 5, 10)),
        _NO_RESPIRATOR,
        False,
    ),
    "neutral": Chemistry(
        "Cleaning tile and stone",
        None,
        (),
        (("Water", "7732-18-5", 90, 98), ("Alcohol ethoxylate", "68439-46-3", 1, 5)),
        _NO_RESPIRATOR,
        False,
    ),
    "colorant": Chemistry(
        "Coloring grout",
        None,
        (),
        (
            ("Water", "7732-18-5", 40, 60),
            ("Acrylic polymer", "25852-37-3", 20, 30),
            ("Titanium dioxide", "13463-67-7", 1, 10),
        ),
        _NO_RESPIRATOR,
        False,
    ),
    "primer": Chemistry(
        "Priming substrates",
        None,
        (),
        (("Water", "7732-18-5", 50, 70), ("Acrylic polymer", "25852-37-3", 30, 50)),
        _NO_RESPIRATOR,
        False,
    ),
    "membrane": Chemistry(
        "Waterproofing under tile",
        None,
        (),
        (("Polyethylene", "9002-88-4", 60, 80), ("Polypropylene fleece", "9003-07-0", 20, 40)),
        _NO_RESPIRATOR,
        False,
    ),
}
_TILE_CUTTING = "Cut with a wet saw or with dust extraction; wear a NIOSH-approved N95 respirator when cutting dry."
TILE_CHEMISTRY: dict[str, Chemistry] = {
    "Porcelain": Chemistry(
        "Floor and wall covering",
        None,
        (),
        (
            ("Amorphous aluminosilicate glass", "65997-17-3", 40, 60),
            _SILICA + (10, 25),
            ("Mullite", "1302-93-8", 10, 20),
            ("Zirconium silicate (glaze)", "10101-52-7", 1, 5),
        ),
        _TILE_CUTTING,
        True,
    ),
    "Ceramic": Chemistry(
        "Wall and floor covering",
        None,
        (),
        (("Fired clay body", "1332-58-7", 60, 80), _SILICA + (5, 20), ("Glaze frit", "65997-18-4", 5, 15)),
        _TILE_CUTTING,
        True,
    ),
    "Glass": Chemistry(
        "Wall covering",
        None,
        (),
        (("Soda-lime glass", "65997-17-3", 90, 100), ("Inorganic pigments", "1309-37-1", 0, 5)),
        "Cut with a wet saw; no respirator is needed for wet cutting.",
        False,
    ),
}


def _safety_data_sheet(
    path: str, name: str, product: str, publisher: str, chem: Chemistry, revised: Revised
) -> SampleDocument:
    w = Writer(path, name, "safety data sheet", f"{product} Safety Data Sheet", publisher, revised(path))
    w.section("1. Identification", 1).paragraph(
        f"Product name: {product}.",
        f"Recommended use: {chem.use}.",
        f"Supplier: {publisher}.",
        "Emergency telephone (24 hours): 1-800-555-0199.",
    )
    w.section("2. Hazard Identification", 1)
    if chem.signal is None:
        w.paragraph(
            w.fact(
                "signal word",
                "none",
                "This product is not classified as hazardous under OSHA HCS 2012 (29 CFR 1910.1200) as supplied.",
            )
        )
    else:
        w.paragraph(
            w.fact("signal word", chem.signal, f"Signal word: {chem.signal}."),
            w.fact(
                "hazard statements",
                tuple(code for code, _ in chem.hazards),
                "Hazard statements: " + "; ".join(f"{text} ({code})" for code, text in chem.hazards) + ".",
            ),
        )
    if chem.silica:
        w.paragraph("Cutting, grinding, drilling or sweeping dry dust can release respirable crystalline silica.")
    w.section("3. Composition", 1)
    w.table(
        ("Ingredient", "CAS number", "% by weight"),
        [
            w.row(
                (ingredient, cas, f"{number(lo)} to {number(hi)}"),
                ("composition", Value(lo, "% by weight", hi), {"ingredient": ingredient}),
            )
            for ingredient, cas, lo, hi in chem.ingredients
        ],
        (50, 25, 25),
    )
    w.section("4. First-Aid Measures", 2).paragraph(
        w.fact(
            "first aid",
            Value(15, "minutes"),
            "Eye contact: rinse cautiously with water for at least 15 minutes, removing contact lenses, and get "
            "medical attention.",
            exposure="eye contact",
        ),
        "Skin contact: wash with soap and water.",
        "Inhalation: move to fresh air.",
        "Ingestion: rinse the mouth; do not induce vomiting.",
    )
    w.section("7. Handling and Storage", 2).paragraph(
        w.fact("storage temperature", Value(40, "°F", 90), "Store in a dry place between 40°F and 90°F."),
        "Keep containers closed and out of reach of children.",
    )
    w.section("8. Exposure Controls", 2)
    if chem.silica:
        w.paragraph(
            w.fact(
                "exposure limit",
                Value(50, "µg/m³"),
                "Respirable crystalline silica: OSHA PEL 50 µg/m³ (8-hour TWA).",
                limit="OSHA PEL",
            ),
            w.fact("exposure limit", Value(25, "µg/m³"), "ACGIH TLV 25 µg/m³.", limit="ACGIH TLV"),
        )
    w.paragraph(
        w.fact("respiratory protection", chem.respirator, chem.respirator), "Wear safety glasses and impervious gloves."
    )
    w.section("11. Toxicological Information", 3).paragraph(
        "Prolonged inhalation of respirable crystalline silica can cause silicosis and lung cancer."
        if chem.silica
        else "No effects are expected under normal use."
    )
    w.section("16. Other Information", 3).paragraph(
        f"Revision date: {revised(path).isoformat()}. This sheet replaces every earlier version."
    )
    return w.done()


def line_safety_data_sheet(line: MortarLine | GroutLine | CaulkLine | CareLine, revised: Revised) -> SampleDocument:
    chemistry = "cement grout" if isinstance(line, GroutLine) and line.chemistry == "cement" else line.chemistry
    return _safety_data_sheet(
        sds_path(line.stem), "Safety Data Sheet", line.title, line.publisher, SDS_CHEMISTRY[chemistry], revised
    )


def tile_safety_data_sheet(material: str, revised: Revised) -> SampleDocument:
    path = safety_data_sheet(material)["Url"].removeprefix(CDN_URL)
    return _safety_data_sheet(
        path, f"{material} Safety Data Sheet", f"{material} Tile", TILE_SHOP, TILE_CHEMISTRY[material], revised
    )


@dataclasses.dataclass(frozen=True)
class _Floor:
    product: str
    publisher: str
    acclimation_h: int
    humidity: tuple[int, int] | None
    calcium_chloride_lb: float
    relative_humidity: int
    underlayment: tuple[str, ...]
    underlayment_sentence: str
    gap_in: float
    max_run_ft: int
    stagger_in: int
    radiant_f: int
    wet_areas: str
    residential: Value | str
    commercial: Value | str


FLOORS = {
    "Luxury Vinyl": _Floor(
        "luxury vinyl plank and tile",
        TILE_SHOP,
        48,
        None,
        8,
        85,
        ("attached 1.5 mm IXPE pad",),
        "The planks have an attached 1.5 mm IXPE pad: do not add a second foam or cork underlayment.",
        0.25,
        50,
        6,
        85,
        "The waterproof core suits bathrooms, kitchens and basements; not saunas, sunrooms or outdoors.",
        "limited lifetime",
        Value(10, "years"),
    ),
    "Laminate": _Floor(
        "laminate flooring",
        TILE_SHOP,
        48,
        (35, 65),
        3,
        75,
        ("2 mm foam underlayment",),
        "Lay a 2 mm foam underlayment under every laminate floor, seams butted and taped.",
        0.375,
        40,
        8,
        82,
        "It is water-resistant, not waterproof: not for full bathrooms, saunas or rooms with a floor drain.",
        Value(25, "years"),
        Value(5, "years"),
    ),
    "Engineered Wood": _Floor(
        "engineered wood flooring",
        TILE_SHOP,
        72,
        (35, 55),
        3,
        75,
        ("2-in-1 foam and film underlayment", "urethane adhesive"),
        "Float it over a 2-in-1 foam and film underlayment, or glue it down with urethane adhesive.",
        0.5,
        30,
        6,
        82,
        "Not for bathrooms, laundry rooms or below-grade rooms without a moisture test.",
        Value(35, "years"),
        "not covered",
    ),
}


def installation_instructions(material: str, revised: Revised) -> SampleDocument:
    f, stem = FLOORS[material], material.lower().replace(" ", "-")
    path = f"{PDF_DIR}installation/{stem}-installation-instructions.pdf"
    w = Writer(
        path,
        "Installation Instructions",
        "installation instructions",
        f"{material} Flooring Installation Instructions",
        f.publisher,
        revised(path),
    )
    w.section("Before You Begin", 1).paragraph(
        "Read these instructions completely before installing. Inspect every plank in good light: installing a "
        "plank accepts it.",
        "Tools: tape measure, utility knife, tapping block, pull bar, rubber mallet, spacers.",
    )
    w.section("Acclimation", 1).paragraph(
        w.fact(
            "acclimation",
            Value(f.acclimation_h, "hours"),
            f"Acclimate the unopened cartons in the room for at least {f.acclimation_h} hours before installation.",
        ),
        w.fact(
            "acclimation temperature",
            Value(65, "°F", 85),
            "Keep the room between 65°F and 85°F during acclimation, installation and afterwards.",
        ),
    )
    if f.humidity:
        lo, hi = f.humidity
        w.paragraph(w.fact("relative humidity", Value(lo, "%", hi), f"Keep relative humidity between {lo}% and {hi}%."))
    subfloors = ("concrete", "plywood or OSB of at least 23/32 in", "existing sheet vinyl or ceramic tile (one layer)")
    w.section("Subfloor Requirements", 2).paragraph(
        w.fact(
            "subfloor flatness",
            Value(0.1875, "in"),
            "The subfloor must be flat within 3/16 in over 10 ft.",
            over="10 ft",
        ),
        w.fact("subfloors", subfloors, f"Suitable subfloors: {listing(subfloors)}."),
        w.fact(
            "unsuitable subfloors",
            ("carpet", "cushioned vinyl", "particleboard"),
            "Never install over carpet, cushioned vinyl or particleboard.",
        ),
    )
    w.section("Concrete Subfloors", 2).paragraph(
        w.fact("concrete cure", Value(60, "days"), "New concrete must cure at least 60 days."),
        "Test every concrete subfloor for moisture before installing:",
        w.fact(
            "concrete moisture limit",
            Value(f.calcium_chloride_lb, "lb per 1,000 sq ft per 24 hours"),
            f"a calcium chloride test (ASTM F1869) must read at most {number(f.calcium_chloride_lb)} lb per 1,000 "
            f"sq ft per 24 hours,",
            test="calcium chloride (ASTM F1869)",
        ),
        w.fact(
            "concrete moisture limit",
            Value(f.relative_humidity, "%"),
            f"or an in-situ relative humidity test (ASTM F2170) at most {f.relative_humidity}%.",
            test="in-situ relative humidity (ASTM F2170)",
        ),
        w.fact("vapor barrier", Value(6, "mil"), "Over concrete, lay a 6 mil polyethylene vapor barrier first,"),
        w.fact("vapor barrier overlap", Value(8, "in"), "seams overlapped 8 in and taped."),
    )
    w.section("Underlayment", 3).paragraph(w.fact("underlayment", f.underlayment, f.underlayment_sentence))
    w.section("Expansion Gap", 3).paragraph(
        w.fact(
            "expansion gap",
            Value(f.gap_in, "in"),
            f"Leave a {number(f.gap_in, 'in')} in expansion gap at every wall, pipe and fixed object.",
        ),
        w.fact(
            "maximum run",
            Value(f.max_run_ft, "ft"),
            f"Runs longer than {f.max_run_ft} ft in either direction need a T-molding transition.",
        ),
        "Never fasten a floating floor, trim or cabinets through the planks.",
    )
    w.section("Installation", 3).paragraph(
        "Start along the longest straight wall with the tongue facing the wall.",
        w.fact(
            "end joint stagger",
            Value(f.stagger_in, "in"),
            f"Stagger end joints at least {f.stagger_in} in from row to row.",
        ),
        "Cover the gap with baseboard or quarter round, fastened to the wall only.",
    )
    w.section("Radiant Heat", 4).paragraph(
        w.fact(
            "radiant heat",
            Value(f.radiant_f, "°F"),
            f"Over radiant heat the floor's surface must never exceed {f.radiant_f}°F.",
        ),
        "Turn the heat off for 24 hours before and after installing.",
    )
    w.section("Wet Areas", 4).paragraph(f.wet_areas)
    w.section("Care", 4).paragraph(
        "Sweep or vacuum often and damp-mop with a pH-neutral cleaner; never wet-mop or "
        "steam-clean. Put felt pads under furniture legs."
    )
    return w.done()


def warranty(material: str, revised: Revised) -> SampleDocument:
    f, stem = FLOORS[material], material.lower().replace(" ", "-")
    path = f"{PDF_DIR}warranty/{stem}-warranty.pdf"
    w = Writer(path, "Warranty", "warranty", f"{material} Flooring Limited Warranty", f.publisher, revised(path))

    def term(value: Value | str) -> str:
        return value if isinstance(value, str) else say(value)

    w.section("Coverage", 1).paragraph(
        w.fact(
            "residential warranty",
            f.residential,
            f"Residential installations: {term(f.residential)} against manufacturing defects and wear-through.",
        ),
        w.fact("light commercial warranty", f.commercial, f"Light commercial installations: {term(f.commercial)}."),
    )
    w.section("What Is Covered", 1).paragraph(
        f"This warranty covers the original purchaser's {f.product} installed as its instructions require: defects "
        "in manufacture, wear-through of the wear layer, and fading under normal indoor light."
    )
    exclusions = (
        "improper installation",
        "standing water and flooding",
        "scratches and dents from furniture or pets",
        "damage from sunlight through unfiltered windows",
    )
    w.section("What Is Not Covered", 2).paragraph(
        w.fact("exclusions", exclusions, f"Not covered: {listing(exclusions)}."),
        "Labor to remove or install replacement flooring is not covered.",
    )
    w.section("Making a Claim", 2).paragraph(
        w.fact(
            "claim deadline",
            Value(30, "days"),
            "Report a defect to the store where you bought the floor within 30 days of finding it,",
        ),
        "with the original receipt and photographs.",
    )
    return w.done()


def care_guide(revised: Revised) -> SampleDocument:
    path = f"{PDF_DIR}care/natural-stone-care-guide.pdf"
    w = Writer(path, "Natural Stone Care Guide", "care guide", "Natural Stone Care Guide", TILE_SHOP, revised(path))
    acid_sensitive = ("marble", "limestone", "travertine", "onyx")
    w.section("Know Your Stone", 1).paragraph(
        w.fact(
            "acid-sensitive stones",
            acid_sensitive,
            f"Calcareous stones ({listing(acid_sensitive)}) etch on contact with acids;",
        ),
        "siliceous stones such as granite, slate and quartzite resist acids but still absorb stains.",
    )
    w.section("Sealing", 1).paragraph(
        w.fact(
            "time before sealing",
            Value(72, "hours"),
            "Seal new stone once the grout and setting materials have cured for 72 hours.",
        ),
        w.fact(
            "sealing interval", Value(12, "months", 24), "Reseal floors, showers and counters every 12 to 24 months."
        ),
        w.fact(
            "water test",
            Value(5, "minutes"),
            "To check, drip water on the stone: if it darkens within 5 minutes, it is time to reseal.",
        ),
    )
    avoid = ("vinegar", "lemon juice", "bleach", "ammonia", "abrasive powders")
    w.section("Daily Cleaning", 2).paragraph(
        w.fact(
            "cleaner dilution",
            Value(2, "oz"),
            "Mop with a pH-neutral stone cleaner, 2 oz per gallon of warm water, and dry with a soft towel.",
        ),
        w.fact("cleaners to avoid", avoid, f"Never use {listing(avoid, 'or')} on natural stone."),
    )
    w.section("Stains and Etching", 2).paragraph(
        "Blot spills at once; do not wipe, which spreads them.",
        w.fact(
            "poultice time",
            Value(24, "hours", 48),
            "Draw out an oil stain with a poultice left under plastic for 24 to 48 hours.",
        ),
        "Etch marks on polished marble need a marble polishing compound or a professional.",
    )
    return w.done()
