"""The product lines the sample documents are about, with the figures their data sheets state, and
which documents a product page names: a line's data sheet is shared by every product of the line
(every color and bag size of a grout), as manufacturers publish them; tiles name their material's
safety data sheet, vinyl, laminate and wood floors their installation instructions and warranty,
natural stone the care guide. Addresses are the real CDN's (documents.on_cdn moves them to the
local stand-in when the site is served)."""

from __future__ import annotations

import dataclasses
import re

CDN_URL = "https://s7d1.scene7.com"  # the store's CDN, as its product pages name it
PDF_DIR = "/is/content/TileShop/pdf/"

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
    chemistry: str = "cement"  # its safety data sheet's (document_texts.SDS_CHEMISTRY)


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


MORTARS = (
    MortarLine(
        "superior-lft-bond-mortar",
        r"-lft-bond-mortar-",
        "Superior LFT Bond Mortar",
        SUPERIOR,
        "a polymer-modified, non-sag medium-bed mortar for large format tile and heavy stone on floors and walls",
        "50 lb bag",
        (
            ("1/4 x 3/8 in square notch", 60, 65),
            ("1/2 x 1/2 in square notch", 40, 45),
            ("3/4 x 5/8 in U-notch", 30, 34),
        ),
        (
            ("up to 12 x 12 in", "1/4 x 3/8 in square notch"),
            ("12 x 24 in and 24 x 24 in", "1/2 x 1/2 in square notch"),
            ("24 x 48 in and larger", "3/4 x 5/8 in U-notch"),
        ),
        (5.0, 5.5),
        (3, "hours"),
        30,
        24,
        24,
        0.75,
        (
            "concrete slab",
            "cement mortar bed",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "cured waterproofing membranes",
            "radiant heat systems",
        ),
        ("particleboard", "oriented strand board (OSB)", "luan", "vinyl flooring"),
        ("ANSI A118.15", "ANSI A118.4"),
    ),
    MortarLine(
        "ardex-x3-mortar",
        r"-ardex-x3-tile-",
        "ARDEX X 3 Tile and Stone Mortar",
        ARDEX,
        "a polymer-modified thin-set mortar for ceramic and porcelain tile on concrete and cement surfaces",
        "40 lb bag",
        (
            ("1/4 x 1/4 in square notch", 70, 75),
            ("1/4 x 3/8 in square notch", 48, 52),
            ("1/2 x 1/2 in square notch", 32, 36),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 12 x 12 in", "1/4 x 3/8 in square notch"),
            ("larger than 12 x 12 in", "1/2 x 1/2 in square notch"),
        ),
        (4.5, 5.0),
        (2, "hours"),
        20,
        24,
        24,
        0.1875,
        ("concrete slab", "cement mortar bed", "cement backer board", "existing ceramic tile (interior)"),
        ("plywood", "gypsum board in wet areas", "particleboard", "metal"),
        ("ANSI A118.4",),
    ),
    MortarLine(
        "ardex-x3-plus-mortar",
        r"-ardex-x3-plus-",
        "ARDEX X 3 PLUS Tile and Stone Mortar",
        ARDEX,
        "an improved polymer-modified thin-set mortar with extended open time for tile and stone",
        "40 lb bag",
        (
            ("1/4 x 1/4 in square notch", 72, 78),
            ("1/4 x 3/8 in square notch", 50, 55),
            ("1/2 x 1/2 in square notch", 34, 38),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("larger than 16 x 16 in", "1/2 x 1/2 in square notch"),
        ),
        (4.5, 5.0),
        (3, "hours"),
        30,
        24,
        24,
        0.1875,
        (
            "concrete slab",
            "cement mortar bed",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "existing ceramic tile (interior)",
        ),
        ("particleboard", "oriented strand board (OSB)", "metal"),
        ("ANSI A118.15", "ANSI A118.11"),
    ),
    MortarLine(
        "ardex-x4-mortar",
        r"-ardex-x4-",
        "ARDEX X 4 Flexible Thin-Set Mortar",
        ARDEX,
        "a flexible, polymer-modified thin-set mortar for porcelain, ceramic and natural stone",
        "40 lb bag",
        (
            ("1/4 x 1/4 in square notch", 75, 80),
            ("1/4 x 3/8 in square notch", 52, 56),
            ("1/2 x 1/2 in square notch", 35, 40),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("larger than 16 x 16 in", "1/2 x 1/2 in square notch"),
        ),
        (4.75, 5.25),
        (3, "hours"),
        30,
        24,
        24,
        0.1875,
        (
            "concrete slab",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "gypsum board (dry walls)",
            "radiant heat systems",
        ),
        ("particleboard", "luan", "hardboard"),
        ("ANSI A118.15", "ANSI A118.11"),
    ),
    MortarLine(
        "ardex-x5-mortar",
        r"-ardex-x5-",
        "ARDEX X 5 Lightweight Flexible Mortar",
        ARDEX,
        "a lightweight, non-sag, flexible mortar for wall tile and large tile on floors",
        "40 lb bag",
        (
            ("1/4 x 1/4 in square notch", 95, 105),
            ("1/4 x 3/8 in square notch", 65, 70),
            ("1/2 x 1/2 in square notch", 45, 50),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("larger than 16 x 16 in", "1/2 x 1/2 in square notch"),
        ),
        (5.5, 6.0),
        (4, "hours"),
        40,
        24,
        24,
        0.375,
        (
            "concrete slab",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "gypsum board (dry walls)",
            "cured waterproofing membranes",
        ),
        ("particleboard", "oriented strand board (OSB)", "luan"),
        ("ANSI A118.15TE", "ANSI A118.11"),
    ),
    MortarLine(
        "ardex-x77-mortar",
        r"-ardex-x77-",
        "ARDEX X 77 MICROTEC Fiber Reinforced Mortar",
        ARDEX,
        "a fiber-reinforced, polymer-modified mortar for large and heavy tile and stone, up to 3/4 in thick",
        "40 lb bag",
        (("1/4 x 3/8 in square notch", 50, 55), ("1/2 x 1/2 in square notch", 35, 40), ("3/4 in loop notch", 25, 28)),
        (
            ("up to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("16 x 16 in to 24 x 48 in", "1/2 x 1/2 in square notch"),
            ("larger than 24 x 48 in", "3/4 in loop notch"),
        ),
        (5.0, 5.5),
        (3, "hours"),
        30,
        24,
        24,
        0.75,
        (
            "concrete slab",
            "cement mortar bed",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "cured waterproofing membranes",
            "radiant heat systems",
        ),
        ("particleboard", "luan", "metal"),
        ("ANSI A118.15", "ANSI A118.11"),
    ),
    MortarLine(
        "superior-pro-flex-thinset-mortar",
        r"-pro-flex-",
        "Superior Pro Flex Latex-Fortified Thinset Mortar",
        SUPERIOR,
        "a latex-fortified thinset mortar for ceramic and porcelain tile on floors and walls",
        "50 lb bag",
        (
            ("1/4 x 1/4 in square notch", 90, 95),
            ("1/4 x 3/8 in square notch", 60, 67),
            ("1/2 x 1/2 in square notch", 40, 45),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 12 x 12 in", "1/4 x 3/8 in square notch"),
            ("larger than 12 x 12 in", "1/2 x 1/2 in square notch"),
        ),
        (5.5, 6.0),
        (4, "hours"),
        20,
        24,
        24,
        0.1875,
        ("concrete slab", "cement mortar bed", "cement backer board", "brick and block"),
        ("plywood", "particleboard", "vinyl flooring", "metal"),
        ("ANSI A118.4",),
    ),
    MortarLine(
        "superior-bond-mortar",
        r"-white-bond-mortar-",
        "Superior Bond Mortar",
        SUPERIOR,
        "an improved polymer-modified mortar for porcelain, glass and natural stone",
        "50 lb bag",
        (
            ("1/4 x 1/4 in square notch", 95, 100),
            ("1/4 x 3/8 in square notch", 65, 70),
            ("1/2 x 1/2 in square notch", 45, 48),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("larger than 16 x 16 in", "1/2 x 1/2 in square notch"),
        ),
        (5.0, 5.75),
        (3, "hours"),
        30,
        24,
        24,
        0.1875,
        (
            "concrete slab",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "cured waterproofing membranes",
            "existing ceramic tile (interior)",
        ),
        ("particleboard", "luan", "hardboard"),
        ("ANSI A118.15", "ANSI A118.11"),
    ),
    MortarLine(
        "superior-maxlite-mortar",
        r"-maxlite-",
        "Superior MaxLite Lightweight Mortar",
        SUPERIOR,
        "a lightweight, non-sag mortar: a 30 lb bag covers as much as a standard 50 lb bag",
        "30 lb bag",
        (
            ("1/4 x 1/4 in square notch", 90, 100),
            ("1/4 x 3/8 in square notch", 65, 70),
            ("1/2 x 1/2 in square notch", 45, 50),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("larger than 16 x 16 in", "1/2 x 1/2 in square notch"),
        ),
        (6.0, 6.5),
        (2.5, "hours"),
        30,
        24,
        24,
        0.375,
        (
            "concrete slab",
            "cement backer board",
            "exterior-grade plywood (interior floors)",
            "gypsum board (dry walls)",
        ),
        ("particleboard", "oriented strand board (OSB)", "luan"),
        ("ANSI A118.15TE",),
    ),
    MortarLine(
        "superior-platinum-mortar",
        r"-platinum-mortar-",
        "Superior Platinum Rapid Setting Mortar",
        SUPERIOR,
        "a rapid-setting, polymer-modified mortar: grout the same day",
        "50 lb bag",
        (
            ("1/4 x 1/4 in square notch", 85, 90),
            ("1/4 x 3/8 in square notch", 58, 62),
            ("1/2 x 1/2 in square notch", 38, 42),
        ),
        (
            ("up to 8 x 8 in", "1/4 x 1/4 in square notch"),
            ("8 x 8 in to 16 x 16 in", "1/4 x 3/8 in square notch"),
            ("larger than 16 x 16 in", "1/2 x 1/2 in square notch"),
        ),
        (5.0, 5.5),
        (45, "minutes"),
        15,
        3,
        3,
        0.1875,
        ("concrete slab", "cement mortar bed", "cement backer board", "radiant heat systems"),
        ("plywood", "particleboard", "gypsum board"),
        ("ANSI A118.15F",),
    ),
    MortarLine(
        "superior-pro-mastic",
        r"-pro-mastic-",
        "Superior Pro Mastic Tile Adhesive",
        SUPERIOR,
        "a ready-to-use organic adhesive for ceramic wall tile in dry and intermittently wet interior areas",
        "1 gallon pail",
        (("3/16 x 5/32 in V-notch", 40, 50), ("1/4 x 1/4 in square notch", 25, 30)),
        (
            ("mosaics and tile up to 4 x 4 in", "3/16 x 5/32 in V-notch"),
            ("4 x 4 in to 8 x 8 in", "1/4 x 1/4 in square notch"),
        ),
        None,
        None,
        30,
        24,
        48,
        0.0625,
        ("gypsum board (walls)", "cement backer board (walls)", "plaster", "existing ceramic tile (walls)"),
        ("floors", "showers and tub surrounds", "exteriors", "tile larger than 8 x 8 in"),
        ("ANSI A136.1 Type I",),
        chemistry="mastic",
    ),
)

GROUTS = (
    GroutLine(
        "superior-excel-sanded-grout",
        r"-excel-.*-sanded-grout-",
        "Superior Excel Sanded Grout",
        SUPERIOR,
        "a polymer-modified, color-consistent sanded grout for joints from 1/8 in to 1/2 in",
        "25 lb bag",
        (0.125, 0.1875, 0.25, 0.375, 0.5),
        0.066,
        (2.75, 3.25, "quarts"),
        120,
        24,
        72,
        ("ANSI A118.7",),
        4000,
    ),
    GroutLine(
        "superior-excel-unsanded-grout",
        r"-excel-.*-unsanded-grout-",
        "Superior Excel Unsanded Grout",
        SUPERIOR,
        "a smooth, polymer-modified unsanded grout for joints from 1/16 in to 1/8 in and for polished stone and glass",
        "5 lb bag",
        (0.0625, 0.125),
        0.061,
        (20, 24, "fl oz"),
        90,
        24,
        72,
        ("ANSI A118.7",),
        3500,
    ),
    GroutLine(
        "superior-sanded-pro-grout",
        r"-(sanded-pro-grout|pro-grout-.*-sanded)-",
        "Superior Pro Grout Sanded",
        SUPERIOR,
        "a sanded cement grout for joints from 1/8 in to 1/2 in on floors and walls",
        "25 lb bag",
        (0.125, 0.25, 0.375, 0.5),
        0.068,
        (3.0, 3.5, "quarts"),
        90,
        24,
        72,
        ("ANSI A118.6",),
        3000,
    ),
    GroutLine(
        "superior-unsanded-grout",
        r"^-superior-(?!excel).*-unsanded-grout-",
        "Superior Unsanded Grout",
        SUPERIOR,
        "an unsanded cement grout for joints from 1/16 in to 1/8 in",
        "5 lb bag",
        (0.0625, 0.125),
        0.060,
        (22, 26, "fl oz"),
        60,
        24,
        72,
        ("ANSI A118.6",),
        2800,
    ),
    GroutLine(
        "ardex-fl-sanded-grout",
        r"-ardex-fl-",
        "ARDEX FL Rapid Set, Flexible Sanded Grout",
        ARDEX,
        "a rapid-setting, flexible sanded grout for joints from 1/8 in to 1/2 in",
        "25 lb bag",
        (0.125, 0.25, 0.375, 0.5),
        0.058,
        (2.5, 2.75, "quarts"),
        30,
        3,
        24,
        ("ANSI A118.7",),
        4500,
    ),
    GroutLine(
        "ardex-fg-c-unsanded-grout",
        r"-ardex-fg-c-",
        "ARDEX FG-C MICROTEC Unsanded Grout",
        ARDEX,
        "a rapid-setting unsanded grout for joints from 1/16 in to 1/4 in, safe for polished stone and glass",
        "25 lb bag",
        (0.0625, 0.125, 0.25),
        0.059,
        (3.0, 3.25, "quarts"),
        30,
        3,
        24,
        ("ANSI A118.7",),
        4000,
    ),
    GroutLine(
        "bostik-dimension-urethane-grout",
        r"-bostik-dimension-",
        "Bostik Dimension RapidCure Urethane Grout",
        BOSTIK,
        "a ready-to-use, glass-filled urethane grout with reflective color that never needs sealing",
        "9 lb pail",
        (0.0625, 0.125, 0.25, 0.375),
        0.052,
        None,
        60,
        24,
        None,
        (),
        3000,
        chemistry="urethane",
    ),
)

CAULKS = (
    CaulkLine(
        "ardex-sx-silicone-caulk",
        r"-ardex-sx-",
        "ARDEX SX 100% Silicone Sealant",
        ARDEX,
        "a mildew-resistant 100% silicone sealant color-matched to ARDEX grouts",
        10.1,
        15,
        24,
        3,
        0.5,
        "silicone",
    ),
    CaulkLine(
        "superior-silicone-caulk",
        r"-100-silicone-caulk-",
        "Superior 100% Silicone Caulk",
        SUPERIOR,
        "a 100% silicone caulk color-matched to Superior grouts",
        10.5,
        20,
        24,
        7,
        0.5,
        "silicone",
    ),
    CaulkLine(
        "superior-pro-siliconized-acrylic-caulk",
        r"-siliconized-acrylic-",
        "Superior Pro Siliconized Acrylic Sanded Caulk",
        SUPERIOR,
        "a sanded, siliconized acrylic caulk whose texture matches sanded grout",
        10.5,
        30,
        72,
        7,
        0.375,
        "acrylic",
    ),
)

_SEALER_STEPS = "Seal new grout once it has cured for {}."
CARE = (
    CareLine(
        "superior-penetrating-sealer",
        r"-superior-penetrating-sealer-",
        "Superior Penetrating Sealer",
        SUPERIOR,
        "a water-based penetrating sealer for cement grout, unpolished stone and unglazed tile",
        "For grout joints, honed and tumbled stone, quarry and saltillo tile, interior and exterior.",
        "sq ft per quart",
        (
            ("dense surfaces (porcelain grout joints, honed marble)", 250, 350),
            ("porous surfaces (tumbled travertine, slate)", 100, 150),
            ("very porous surfaces (saltillo)", 50, 75),
        ),
        (
            ("time before sealing", _SEALER_STEPS, 72, "hours"),
            ("dry time", "Allow light foot traffic after {}.", 2, "hours"),
            ("full cure", "The sealer reaches full protection after {}.", 24, "hours"),
            ("reapplication", "Reapply on floors every {}.", 3, "years"),
        ),
        "Not for polished stone or glazed tile: wipe off any sealer left on their surface within 5 minutes.",
        "sealer",
    ),
    CareLine(
        "superior-premium-gold-stone-sealer",
        r"-premium-gold-stone-sealer-",
        "Superior Premium Gold Stone Sealer",
        SUPERIOR,
        "a premium solvent-free impregnating sealer for natural stone, including polished marble",
        "For polished, honed and tumbled marble, limestone, travertine and granite, indoors and out.",
        "sq ft per quart",
        (
            ("polished marble and granite", 400, 500),
            ("honed marble and limestone", 250, 300),
            ("tumbled travertine", 125, 175),
        ),
        (
            ("time before sealing", "Seal stone once grout and setting materials have cured for {}.", 72, "hours"),
            ("dry time", "Allow light foot traffic after {}.", 1, "hours"),
            ("full cure", "The sealer reaches full protection after {}.", 48, "hours"),
            ("reapplication", "Reapply on floors every {}.", 5, "years"),
        ),
        "Test on a spare piece first: some dark stones darken slightly.",
        "sealer",
    ),
    CareLine(
        "max-seal-solvent-based-sealer",
        r"-max-seal-solvent-based-sealer-",
        "Max Seal Solvent Based Sealer",
        MAX_SEAL,
        "a solvent-based penetrating sealer for dense stone and porcelain grout joints",
        "For granite, quartzite, dense marble and grout joints; interior and exterior.",
        "sq ft per quart",
        (("dense stone (granite, quartzite)", 300, 400), ("grout joints", 200, 250)),
        (
            ("time before sealing", _SEALER_STEPS, 7, "days"),
            ("dry time", "Allow light foot traffic after {}.", 4, "hours"),
            ("reapplication", "Reapply on floors every {}.", 2, "years"),
        ),
        "Flammable: ventilate the room and keep away from pilot lights until dry.",
        "solvent",
    ),
    CareLine(
        "superior-grout-and-tile-heavy-duty-cleaner",
        r"-heavy-duty-cleaner-",
        "Superior Grout and Tile Heavy Duty Cleaner",
        SUPERIOR,
        "an alkaline cleaner for heavy soil, grease and soap scum on ceramic and porcelain tile and cement grout",
        "For deep cleaning floors, showers and kitchens before sealing or regrouting.",
        "sq ft per quart",
        (("light soil (diluted 4 oz per gallon)", 1000, 1200), ("heavy soil (full strength)", 100, 150)),
        (
            ("dilution", "For routine cleaning mix {} of cleaner per gallon of water.", 4, "oz"),
            ("dwell time", "Let it stand for {} then scrub and rinse.", 10, "minutes"),
        ),
        "Not for polished marble, limestone or travertine.",
        "alkaline",
    ),
    CareLine(
        "superior-grout-and-tile-neutral-cleaner",
        r"-neutral-cleaner-",
        "Superior Grout and Tile Neutral Cleaner",
        SUPERIOR,
        "a pH-neutral, no-rinse daily cleaner safe for sealed grout and all tile and stone",
        "For everyday mopping of tile and stone floors and walls.",
        "sq ft per quart",
        (("diluted 2 oz per gallon", 2000, 2500),),
        (("dilution", "Mix {} of cleaner per gallon of warm water.", 2, "oz"),),
        "Does not remove grout haze or hard-water deposits.",
        "neutral",
    ),
    CareLine(
        "superior-grout-release",
        r"-grout-release-",
        "Superior Grout Release",
        SUPERIOR,
        "a pre-grouting coating that keeps grout from staining porous tile and stone",
        "Apply to unsealed porous tile, stone and cement tile before grouting.",
        "sq ft per quart",
        (("porous tile and stone", 150, 200),),
        (("time before grouting", "Let the release dry for {} before grouting.", 1, "hours"),),
        "Keep it out of the joints: grout will not bond where it lands.",
        "neutral",
    ),
    CareLine(
        "superior-haze-remover",
        r"-haze-remover-",
        "Superior Haze Remover",
        SUPERIOR,
        "a mild acid cleaner that removes cement grout haze and efflorescence",
        "For ceramic and porcelain tile after grouting; not for natural stone.",
        "sq ft per quart",
        (("grout haze (diluted 1 part to 4 parts water)", 400, 500),),
        (
            ("wait after grouting", "Wait at least {} after grouting before use.", 10, "days"),
            ("dwell time", "Let it stand for {} then rinse with clean water.", 5, "minutes"),
        ),
        "Never use on marble, limestone, travertine or other calcareous stone: acid etches them.",
        "acid",
    ),
    CareLine(
        "superior-natural-stone-cleaner",
        r"-natural-stone-cleaner-",
        "Superior Antibacterial Natural Stone Cleaner",
        SUPERIOR,
        "a pH-neutral antibacterial cleaner for sealed natural stone",
        "For daily cleaning of marble, travertine, limestone and granite counters, floors and showers.",
        "sq ft per quart",
        (("ready to use", 300, 400),),
        (("dwell time", "Spray and wipe after {} for antibacterial effect.", 2, "minutes"),),
        "Not a degreaser: use the Natural Stone Deep Clean for heavy soil.",
        "neutral",
    ),
    CareLine(
        "superior-natural-stone-deep-clean",
        r"-natural-stone-deep-clean-",
        "Superior Natural Stone Deep Clean",
        SUPERIOR,
        "an alkaline deep cleaner for natural stone, safe for polished marble",
        "For periodic deep cleaning of stone floors and showers, and before resealing.",
        "sq ft per quart",
        (("diluted 1 part to 4 parts water", 500, 600),),
        (("dwell time", "Let it stand for {} then agitate and rinse.", 15, "minutes"),),
        "Strips most sealers: reseal after deep cleaning.",
        "alkaline",
    ),
    CareLine(
        "superior-pro-strip",
        r"-pro-strip-",
        "Superior Pro Strip Sealer and Adhesive Remover",
        SUPERIOR,
        "a gel stripper for topical sealers, coatings and adhesive residue on tile and stone",
        "For removing worn topical sealers and mastic residue.",
        "sq ft per quart",
        (("applied 1/16 in thick", 40, 50),),
        (("dwell time", "Leave it on for {} then scrape and rinse.", 30, "minutes"),),
        "Test on a spare piece first; not for vinyl or wood.",
        "solvent",
    ),
    CareLine(
        "superior-pro-color-grout-colorant",
        r"-pro-color-",
        "Superior Pro Color Grout Colorant",
        SUPERIOR,
        "an epoxy-fortified colorant that recolors and seals cement grout",
        "For sanded and unsanded cement grout joints on floors and walls.",
        "sq ft per 8 oz bottle",
        (
            ("1/8 in joints, 12 x 12 in tile", 150, 175),
            ("1/4 in joints, 12 x 12 in tile", 75, 90),
            ("1/8 in joints, 4 x 4 in tile", 50, 60),
        ),
        (
            ("wait after grouting", "Apply to grout that has cured for at least {}.", 48, "hours"),
            ("dry time", "Allow light foot traffic after {}.", 24, "hours"),
        ),
        "Not for epoxy or urethane grout.",
        "colorant",
    ),
    CareLine(
        "superior-flexible-grout-admixture",
        r"-flexible-grout-admixture-",
        "Superior Flexible Grout Admixture",
        SUPERIOR,
        "a latex admixture that replaces the mixing water of cement grout for strength and flexibility",
        "For cement grout on floors with movement, exteriors and heated floors.",
        "lb of grout per quart",
        (("sanded grout", 8, 9), ("unsanded grout", 7, 8)),
        (
            (
                "admixture per bag",
                "Use {} of admixture in place of water for each 25 lb bag of sanded grout.",
                3,
                "quarts",
            ),
        ),
        "Do not add water to the mix.",
        "primer",
    ),
    CareLine(
        "ardex-p-51-primer",
        r"-ardex-p-51-",
        "ARDEX P 51 Primer",
        ARDEX,
        "a concentrated acrylic primer for self-leveling underlayments",
        "For concrete, wood and existing tile before self-leveling underlayment.",
        "sq ft per gallon",
        (
            ("porous concrete (diluted 1 part to 1 part water)", 350, 400),
            ("smooth surfaces (diluted 1 to 3)", 400, 500),
        ),
        (("dry time", "Let it dry to a clear, thin film: at least {}.", 3, "hours"),),
        "Not a moisture barrier.",
        "primer",
    ),
    CareLine(
        "superior-primer",
        r"-superior-primer-",
        "Superior Primer",
        SUPERIOR,
        "a ready-to-use acrylic primer for self-leveling underlayment and patch",
        "For concrete and plywood before leveling.",
        "sq ft per gallon",
        (("concrete", 200, 300), ("plywood", 250, 350)),
        (("dry time", "Let it dry for {} before pouring.", 1, "hours"),),
        "Not a moisture barrier.",
        "primer",
    ),
    CareLine(
        "superior-feather-edge-patch-and-skim-coat",
        r"-feather-edge-patch-",
        "Superior Feather Edge Patch and Skim Coat",
        SUPERIOR,
        "a cement-based patch for smoothing floors from a feather edge to 1/2 in",
        "For filling low spots and skim-coating concrete and plywood before tile or vinyl.",
        "sq ft per 8 lb bag",
        (("1/16 in thick", 30, 35), ("1/8 in thick", 15, 17)),
        (
            ("maximum thickness", "Apply from a feather edge up to {} in one lift.", 0.5, "in"),
            ("time before tiling", "Tile or install flooring after {}.", 2, "hours"),
        ),
        "Not for exterior or wet areas.",
        "cement",
    ),
    CareLine(
        "superior-pro-shield-membrane",
        r"-pro-shield-membrane-",
        "Superior Pro Shield Waterproofing Membrane",
        SUPERIOR,
        "a bonded sheet waterproofing membrane system with seal tape, corners and pipe collars",
        "For showers, tub surrounds, steam-free wet areas and floors under tile.",
        "sq ft per roll",
        (("3 ft 3 in x 33 ft roll", 105, 108), ("3 ft 3 in x 98.5 ft roll", 315, 323)),
        (
            ("seam overlap", "Overlap seams at least {} or cover them with seal tape.", 2, "in"),
            ("flood test", "Flood test the shower pan for {} before tiling.", 24, "hours"),
        ),
        "Set it in ANSI A118.4 or A118.15 mortar with a 1/4 x 3/16 in V-notch trowel.",
        "membrane",
    ),
)

# Flooring (installation instructions and warranty per material) and the natural stone care guide.
FLOORING_STEMS = {"Luxury Vinyl": "luxury-vinyl", "Laminate": "laminate", "Engineered Wood": "engineered-wood"}
TILE_SDS_MATERIALS = ("Porcelain", "Ceramic", "Glass")
CARE_GUIDE = {"Name": "Natural Stone Care Guide", "Url": f"{CDN_URL}{PDF_DIR}care/natural-stone-care-guide.pdf"}

LINES: tuple[MortarLine | GroutLine | CaulkLine | CareLine, ...] = MORTARS + GROUTS + CAULKS + CARE


def on_cdn(url: str, cdn_url: str | None) -> str:
    """A document URL as a page served beside the CDN stand-in at `cdn_url` names it (unchanged when
    `cdn_url` is None or the URL is not on the real CDN)."""
    if cdn_url is None or not url.startswith(CDN_URL + "/"):
        return url
    return cdn_url.rstrip("/") + url[len(CDN_URL) :]


def tds_path(stem: str) -> str:
    return f"{PDF_DIR}tds/{stem}-tds.pdf"


def sds_path(stem: str) -> str:
    return f"{PDF_DIR}sds/{stem}-sds.pdf"


def line_of(slug: str) -> MortarLine | GroutLine | CaulkLine | CareLine | None:
    """The product line a product slug belongs to (the first that matches), or None."""
    text = f"-{slug.lower()}-"
    return next((line for line in LINES if re.search(line.match, text)), None)


def data_sheets(slug: str, with_sds: bool) -> list[dict[str, str]]:
    """What the page of a product of a line names: the line's technical data sheet, and its safety
    data sheet when `with_sds` (not every page lists it); nothing for a product of no line."""
    line = line_of(slug)
    if line is None:
        return []
    docs = [{"Name": "Technical Data Sheet", "Url": CDN_URL + tds_path(line.stem)}]
    if with_sds:
        docs.append({"Name": "Safety Data Sheet", "Url": CDN_URL + sds_path(line.stem)})
    return docs


def safety_data_sheet(material: str) -> dict[str, str]:
    """A tile's safety data sheet, one per tile material."""
    if material not in TILE_SDS_MATERIALS:
        raise ValueError(f"no tile safety data sheet for {material!r}")
    return {
        "Name": f"{material} Safety Data Sheet",
        "Url": f"{CDN_URL}{PDF_DIR}safety-data-sheets/{material.lower()}-tile-safety-data-sheet.pdf",
    }


def flooring_documents(material: str) -> list[dict[str, str]]:
    """A vinyl, laminate or wood floor's installation instructions and warranty."""
    stem = FLOORING_STEMS[material]
    return [
        {
            "Name": "Installation Instructions",
            "Url": f"{CDN_URL}{PDF_DIR}installation/{stem}-installation-instructions.pdf",
        },
        {"Name": "Warranty", "Url": f"{CDN_URL}{PDF_DIR}warranty/{stem}-warranty.pdf"},
    ]
