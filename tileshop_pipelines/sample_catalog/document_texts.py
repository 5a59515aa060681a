"""The technical data sheets of the product lines (document_lines.py): mortars, grouts, caulks, and
sealers, cleaners and other installation products; every stated figure recorded as a fact where it
is written. all_documents() adds the safety data sheets (document_safety_sheets.py), installation
instructions, warranties and the care guide (document_guides.py)."""

from __future__ import annotations

import datetime as dt
import hashlib

from .document_care_products import CARE
from .document_grouts import CAULKS, GROUTS
from .document_guides import care_guide, installation_instructions, warranty
from .document_line_kinds import CareLine, CaulkLine, GroutLine, MortarLine
from .document_lines import FLOORING_STEMS, TILE_SDS_MATERIALS, tds_path
from .document_model import SampleDocument, Value, Writer, listing, number, say
from .document_mortars import MORTARS
from .document_safety_sheets import line_safety_data_sheet, tile_safety_data_sheet

# Tile sizes of the grout coverage tables: (width, length, thickness) in inches.
GROUT_TILES = ((2, 2, 0.25), (3, 6, 0.3125), (4, 12, 0.375), (12, 12, 0.375), (12, 24, 0.375), (24, 24, 0.375))
_CUBIC_IN_PER_FL_OZ = 1.805


def revised(path: str) -> dt.date:
    """A document's revision date: fixed, spread over 2023-2024 by its path."""
    return dt.date(2023, 1, 2) + dt.timedelta(days=int(hashlib.sha1(path.encode()).hexdigest()[:6], 16) % 700)


def _writer(stem: str, title: str, publisher: str) -> Writer:
    path = tds_path(stem)
    return Writer(path, "Technical Data Sheet", "technical data sheet", title, publisher, revised(path))


def mortar_data_sheet(line: MortarLine) -> SampleDocument:
    w = _writer(line.stem, line.title, line.publisher)
    w.section("Description", 1).paragraph(
        f"{line.title} is {line.description}.",
        w.fact("standards", line.standards, f"It meets or exceeds {listing(line.standards)}."),
    )
    w.section("Suitable Substrates", 1).paragraph(
        w.fact("substrates", line.substrates, f"Suitable substrates: {listing(line.substrates)}."),
        w.fact("unsuitable substrates", line.not_over, f"Do not install over {listing(line.not_over, 'or')}."),
    )
    w.paragraph(
        "Substrates must be structurally sound, clean, and free of dust, oil, wax, sealers and curing compounds.",
        w.fact("concrete cure", Value(28, "days"), "New concrete must cure at least 28 days before tile is set on it."),
    )
    unit = f"sq ft per {line.unit}"
    w.section("Coverage", 1).paragraph(
        f"Approximate coverage per {line.unit}. Actual coverage depends on the trowel, the substrate and the "
        "back of the tile."
    )
    w.table(
        ("Trowel notch", f"Coverage per {line.unit}"),
        [
            w.row(
                (notch, f"{number(lo)} to {number(hi)} sq ft"),
                ("mortar coverage", Value(lo, unit, hi), {"trowel notch": notch}),
            )
            for notch, lo, hi in line.coverage
        ],
        (60, 40),
    )
    w.section("Trowel Selection", 2).paragraph(
        "Choose the notch by the tile's size, then lift a tile now and then to check the contact."
    )
    w.table(
        ("Tile size", "Trowel notch"),
        [w.row((size, notch), ("trowel notch", notch, {"tile size": size})) for size, notch in line.notch_for],
        (50, 50),
    )
    w.paragraph(
        w.fact(
            "mortar contact",
            (Value(80, "%"), Value(95, "%")),
            "Mortar must cover at least 80% of the back of each tile on dry interior floors and at "
            "least 95% in wet areas and exteriors.",
        ),
        "Back-butter tiles larger than 15 in on any side.",
    )
    w.section("Mixing", 2)
    if line.water is None:
        w.paragraph("It is ready to use: stir before use and never thin it with water.")
    else:
        lo, hi = line.water
        w.paragraph(
            w.fact(
                "mixing water",
                Value(lo, "quarts", hi),
                f"Mix each {line.unit} with {number(lo)} to {number(hi)} quarts of clean, cool water.",
                per=line.unit,
            ),
            "Mix with a drill at about 300 rpm to a smooth, lump-free paste.",
            w.fact("slake time", Value(10, "minutes"), "Let it slake for 10 minutes, then remix briefly."),
        )
    w.section("Working Properties", 2)
    if line.pot_life is not None:
        w.paragraph(
            w.fact("pot life", Value(*line.pot_life), f"Pot life is about {say(Value(*line.pot_life))} at 70°F."),
            "Do not add water to mortar that has begun to stiffen.",
        )
    w.paragraph(
        w.fact(
            "open time",
            Value(line.open_time_min, "minutes"),
            f"Open time is about {line.open_time_min} minutes: set tile while the combed mortar is still "
            "tacky, and replace mortar that has skinned over.",
        )
    )
    w.section("Curing", 2).paragraph(
        w.fact(
            "time before grouting",
            Value(line.grout_after_h, "hours"),
            f"Grout after {say(Value(line.grout_after_h, 'hours'))} at 70°F and 50% relative humidity.",
        ),
        "Cooler temperatures and higher humidity lengthen every time given here.",
    )
    if line.chemistry == "mastic":
        w.paragraph(
            w.fact(
                "time before water exposure",
                Value(line.traffic_h, "hours"),
                f"Keep the installation dry for {say(Value(line.traffic_h, 'hours'))} after grouting.",
            )
        )
    else:
        w.paragraph(
            w.fact(
                "foot traffic",
                Value(line.traffic_h, "hours"),
                f"Allow light foot traffic after {say(Value(line.traffic_h, 'hours'))} and heavy traffic after 7 days.",
            )
        )
    w.section("Technical Data", 3)
    w.table(
        ("Property", "Value"),
        [
            ("Standard", listing(line.standards)),
            w.row(
                ("Maximum bond coat after embedding", say(Value(line.max_bond_coat_in, "in"))),
                ("maximum bond coat", Value(line.max_bond_coat_in, "in"), {}),
            ),
            w.row(("Application temperature", "50°F to 100°F"), ("application temperature", Value(50, "°F", 100), {})),
            w.row(("Shelf life", "12 months unopened"), ("shelf life", Value(12, "months"), {})),
        ],
        (60, 40),
    )
    w.section("Limitations", 3).paragraph(
        "Not for moisture-sensitive green marble or resin-backed tile: use an epoxy or reactive mortar.",
        "Do not apply below 50°F or on frozen or wet surfaces.",
    )
    w.section("Health and Safety", 3).paragraph(
        "Contains portland cement and crystalline silica. Wear gloves and eye protection, and a NIOSH-approved "
        "N95 respirator when pouring or mixing. Read the Safety Data Sheet before use."
    )
    return w.done()


def grout_coverage(line: GroutLine, width: float, length: float, depth: float, joint: float) -> float:
    """The table's figure: lb per 100 sq ft (a powder) or sq ft per unit (a premixed pail), from the
    joints' volume per sq ft of tile."""
    lb_per_sqft = 144 * (width + length) / (width * length) * joint * depth * line.lb_per_cubic_in
    if line.water is None:
        return float(round(float(line.unit.split()[0]) / lb_per_sqft))
    per_100 = 100 * lb_per_sqft
    return round(per_100, 1) if per_100 < 10 else float(round(per_100))


def grout_data_sheet(line: GroutLine) -> SampleDocument:
    w = _writer(line.stem, line.title, line.publisher)
    w.section("Description", 1).paragraph(f"{line.title} is {line.description}.")
    if line.standards:
        w.paragraph(w.fact("standards", line.standards, f"It meets or exceeds {listing(line.standards)}."))
    low, high = line.joints[0], line.joints[-1]
    w.section("Uses", 1).paragraph(
        "For floors, walls and countertops, interior and exterior, residential and commercial.",
        w.fact(
            "joint width",
            Value(low, "in", high),
            f"Use it for joints from {number(low, 'in')} in to {number(high, 'in')} in wide.",
        ),
    )
    premixed = line.water is None
    unit = f"sq ft per {line.unit}" if premixed else "lb per 100 sq ft"
    w.section("Coverage", 1).paragraph(
        f"Approximate square feet covered per {line.unit}, by tile size and joint width."
        if premixed
        else "Approximate pounds of grout per 100 sq ft, by tile size and joint width (tile thickness as listed). "
        "Add 10% for waste on textured or uneven tile."
    )
    header = ("Tile size",) + tuple(f"{number(j, 'in')} in joint" for j in line.joints)
    rows = []
    for width, length, depth in GROUT_TILES:
        size = f"{width} x {length} x {number(depth, 'in')} in"
        figures = [grout_coverage(line, width, length, depth, j) for j in line.joints]
        rows.append(
            w.row(
                (size,) + tuple(number(f) for f in figures),
                *[
                    ("grout coverage", Value(f, unit), {"tile size": size, "joint width": f"{number(j, 'in')} in"})
                    for f, j in zip(figures, line.joints, strict=True)
                ],
            )
        )
    w.table(header, rows, (30,) + (70 / len(line.joints),) * len(line.joints))
    w.section("Mixing", 2)
    if line.water is None:  # premixed
        w.paragraph("It is ready to use: stir the pail well and never add water.")
    else:
        lo, hi, water_unit = line.water
        w.paragraph(
            w.fact(
                "mixing water",
                Value(lo, water_unit, hi),
                f"Mix each {line.unit} with {number(lo)} to {number(hi)} {water_unit} of clean, cool water.",
                per=line.unit,
            ),
            "Let it slake 5 to 10 minutes and remix; never add more water once mixed.",
        )
    w.section("Working Properties", 2).paragraph(
        w.fact(
            "pot life", Value(line.working_min, "minutes"), f"Working time is about {line.working_min} minutes at 70°F."
        ),
        "Grout only after the setting mortar has cured (see its data sheet).",
        "Pack the joints with a rubber float held at 45 degrees, strike off diagonally, and sponge once the grout "
        "is firm.",
    )
    w.section("Curing", 2).paragraph(
        w.fact(
            "foot traffic",
            Value(line.traffic_h, "hours"),
            f"Allow light foot traffic after {say(Value(line.traffic_h, 'hours'))}.",
        )
    )
    if line.seal_after_h is None:
        w.paragraph(w.fact("time before sealing", "not required", "It never needs sealing."))
    else:
        w.paragraph(
            w.fact(
                "time before sealing",
                Value(line.seal_after_h, "hours"),
                f"Seal after {say(Value(line.seal_after_h, 'hours'))} if a sealer is wanted.",
            )
        )
    w.section("Technical Data", 2)
    w.table(
        ("Property", "Value"),
        [
            row
            for row in (
                ("Standard", listing(line.standards)) if line.standards else None,
                w.row(
                    ("Compressive strength, 28 days", f"{number(line.psi)} psi"),
                    ("compressive strength", Value(line.psi, "psi"), {}),
                ),
                w.row(
                    ("Application temperature", "50°F to 90°F"), ("application temperature", Value(50, "°F", 90), {})
                ),
                w.row(("Shelf life", "12 months unopened"), ("shelf life", Value(12, "months"), {})),
            )
            if row is not None
        ],
        (60, 40),
    )
    w.section("Limitations", 3).paragraph(
        f"Not for joints wider than {number(high, 'in')} in or narrower than {number(low, 'in')} in.",
        "Sanded grout can scratch polished marble, glass and metal tile: use an unsanded grout on them."
        if low >= 0.125
        else "Unsanded grout in joints wider than its range shrinks and cracks.",
        "Use a flexible sealant, not grout, at changes of plane and perimeter joints.",
    )
    w.section("Health and Safety", 3).paragraph(
        "Wear gloves and eye protection. Read the Safety Data Sheet before use."
    )
    return w.done()


_CAULK_JOINTS = ((0.125, 0.125), (0.25, 0.25), (0.375, 0.375), (0.5, 0.25))


def caulk_data_sheet(line: CaulkLine) -> SampleDocument:
    w = _writer(line.stem, line.title, line.publisher)
    w.section("Description", 1).paragraph(f"{line.title} is {line.description}.")
    joints = ("inside corners", "where tile meets a tub, shower pan or countertop", "perimeter joints at walls")
    w.section("Uses", 1).paragraph(
        w.fact("caulk joints", joints, f"Use it instead of grout in every change of plane: {listing(joints)}."),
        "Grout in those joints cracks as the building moves.",
    )
    unit = f"linear ft per {number(line.tube_oz)} oz tube"
    w.section("Coverage", 1).paragraph(f"Approximate bead length per {number(line.tube_oz)} oz tube by joint size.")
    rows = []
    for width, depth in _CAULK_JOINTS:
        if width > line.max_joint_in:
            continue
        size = f"{number(width, 'in')} x {number(depth, 'in')} in"
        feet = round(line.tube_oz * _CUBIC_IN_PER_FL_OZ / (width * depth) / 12)
        rows.append(w.row((size, f"{feet} ft"), ("caulk coverage", Value(feet, unit), {"joint size": size})))
    w.table(("Joint width x depth", f"Bead length per {number(line.tube_oz)} oz tube"), rows, (50, 50))
    w.section("Application", 2).paragraph(
        "Joints must be clean and dry; fill joints deeper than 1/4 in with backer rod first.",
        w.fact(
            "skin time",
            Value(line.skin_min, "minutes"),
            f"Tool the bead within {line.skin_min} minutes, before a skin forms.",
        ),
        w.fact(
            "time before water exposure",
            Value(line.water_after_h, "hours"),
            f"Keep it dry for {say(Value(line.water_after_h, 'hours'))} before exposing it to water.",
        ),
        w.fact("full cure", Value(line.cure_days, "days"), f"It cures fully in {say(Value(line.cure_days, 'days'))}."),
    )
    w.section("Technical Data", 2)
    w.table(
        ("Property", "Value"),
        [
            w.row(
                ("Maximum joint width", f"{number(line.max_joint_in, 'in')} in"),
                ("maximum joint width", Value(line.max_joint_in, "in"), {}),
            ),
            ("Paintable", "Yes" if line.chemistry == "acrylic" else "No"),
            w.row(("Shelf life", "12 months unopened"), ("shelf life", Value(12, "months"), {})),
        ],
        (60, 40),
    )
    w.section("Limitations", 2).paragraph(
        "Not for areas under continuous water immersion."
        if line.chemistry == "acrylic"
        else "Not for use on natural stone without a primer: silicone oils can stain porous stone."
    )
    return w.done()


def care_data_sheet(line: CareLine) -> SampleDocument:
    w = _writer(line.stem, line.title, line.publisher)
    w.section("Description", 1).paragraph(f"{line.title} is {line.description}.")
    w.section("Uses", 1).paragraph(line.uses)
    w.section("Coverage", 1).paragraph(f"Approximate coverage ({line.coverage_unit}); porous surfaces take more.")
    w.table(
        ("Surface", line.coverage_unit.capitalize()),
        [
            w.row(
                (surface, f"{number(lo)} to {number(hi)}"),
                ("coverage", Value(lo, line.coverage_unit, hi), {"surface": surface}),
            )
            for surface, lo, hi in line.coverage
        ],
        (65, 35),
    )
    w.section("Application", 2).paragraph(
        *[
            w.fact(key, Value(amount, unit), sentence.format(say(Value(amount, unit))))
            for key, sentence, amount, unit in line.steps
        ]
    )
    w.section("Limitations", 2).paragraph(line.limitations)
    w.section("Storage", 2).paragraph(
        w.fact("storage temperature", Value(40, "°F", 90), "Store between 40°F and 90°F and keep from freezing.")
    )
    return w.done()


def all_documents() -> list[SampleDocument]:
    docs = [mortar_data_sheet(line) for line in MORTARS] + [grout_data_sheet(line) for line in GROUTS]
    docs += [caulk_data_sheet(line) for line in CAULKS] + [care_data_sheet(line) for line in CARE]
    docs += [line_safety_data_sheet(line, revised) for line in MORTARS + GROUTS + CAULKS + CARE]
    docs += [tile_safety_data_sheet(material, revised) for material in TILE_SDS_MATERIALS]
    for material in FLOORING_STEMS:
        docs += [installation_instructions(material, revised), warranty(material, revised)]
    docs.append(care_guide(revised))
    return docs
