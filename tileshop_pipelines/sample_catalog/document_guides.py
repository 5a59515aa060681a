"""The sample documents other than data sheets: installation instructions and warranties of vinyl,
laminate and wood floors, and the natural stone care guide; every stated figure recorded as a fact
where it is written. (Technical data sheets: document_texts.py; safety data sheets:
document_safety_sheets.py.)"""

from __future__ import annotations

import dataclasses

from .document_lines import PDF_DIR
from .document_model import TILE_SHOP, Revised, SampleDocument, Value, Writer, listing, number, say


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
