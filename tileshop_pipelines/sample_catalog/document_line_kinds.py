"""The kinds of product line the sample documents are about (mortars, grouts, caulks, and care and
installation products), each with the figures its data sheet states, and the lines' publishers.
The lines themselves are tables of their own: document_mortars.py, document_grouts.py (grouts and
caulks), document_care_products.py; document_lines.py joins them."""

from __future__ import annotations

import dataclasses

SUPERIOR, ARDEX, BOSTIK = "Superior Tile & Stone Installation Systems", "ARDEX Americas", "Bostik, Inc."
MAX_SEAL = "Max Seal Surface Care"


@dataclasses.dataclass(frozen=True)
class MortarLine:
    stem: str  # the documents' file stem: tds/<stem>-tds.pdf, sds/<stem>-sds.pdf
    match: str  # regex on "-<slug>-" selecting the line's products
    title: str
    publisher: str
    description: str  # "... is <description>."
    unit: str  # what coverage is per: "50 lb bag", "1 gallon pail"
    coverage: tuple[tuple[str, float, float], ...]  # trowel notch -> sq ft per unit, low to high
    notch_for: tuple[tuple[str, str], ...]  # tile size -> recommended trowel notch
    water: tuple[float, float] | None  # quarts per unit; None: ready to use
    pot_life: tuple[float, str] | None  # (number, "hours" | "minutes"); None: premixed
    open_time_min: int
    grout_after_h: float
    traffic_h: float
    max_bond_coat_in: float  # thickest bond coat after embedding
    substrates: tuple[str, ...]
    not_over: tuple[str, ...]
    standards: tuple[str, ...]
    chemistry: str = "cement"  # its safety data sheet's (document_safety_sheets.SDS_CHEMISTRY)


@dataclasses.dataclass(frozen=True)
class GroutLine:
    stem: str
    match: str
    title: str
    publisher: str
    description: str
    unit: str  # "25 lb bag", "9 lb pail"
    joints: tuple[float, ...]  # joint widths (in) of its coverage table; the first and last are its range
    lb_per_cubic_in: float  # installed density, waste included
    water: tuple[float, float, str] | None  # (low, high, unit) per unit; None: premixed
    working_min: int  # pot life / working time
    traffic_h: float
    seal_after_h: float | None  # None: never needs sealing
    standards: tuple[str, ...]
    psi: int  # 28-day compressive strength
    chemistry: str = "cement"


@dataclasses.dataclass(frozen=True)
class CaulkLine:
    stem: str
    match: str
    title: str
    publisher: str
    description: str
    tube_oz: float
    skin_min: int
    water_after_h: float
    cure_days: int
    max_joint_in: float
    chemistry: str


@dataclasses.dataclass(frozen=True)
class CareLine:
    """Sealers, cleaners, colorants, admixtures, primers, patches, membranes: a data sheet of a few
    stated figures. `steps`: (key, sentence with {} for the value, value number, value unit)."""

    stem: str
    match: str
    title: str
    publisher: str
    description: str
    uses: str
    coverage_unit: str  # "sq ft per quart"
    coverage: tuple[tuple[str, float, float], ...]  # surface -> low, high
    steps: tuple[tuple[str, str, float, str], ...]
    limitations: str
    chemistry: str
