"""The safety data sheets of the sample documents: one per product line and one per tile material,
each from the chemistry of its kind of product (hazards, ingredients, respiratory protection);
every stated figure recorded as a fact where it is written."""

from __future__ import annotations

import dataclasses

from .document_line_kinds import CareLine, CaulkLine, GroutLine, MortarLine
from .document_lines import CDN_URL, safety_data_sheet, sds_path
from .document_model import TILE_SHOP, Revised, SampleDocument, Value, Writer, number


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
