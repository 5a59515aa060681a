"""One sample product from its URL slug: kind and material, name, size, colors and finish read from
the slug's words (slugs.py); price, unit, the remaining specs and the documents filled in from a random
generator seeded by (seed, path), so a product never depends on which others are in the catalog.
The seven known products are not made here but from their stated facts (known_products.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import re
from collections.abc import Mapping

from .descriptions import describe
from .document_lines import CARE_GUIDE, FLOORING_STEMS, data_sheets, flooring_documents, safety_data_sheet
from .model import CATALOG_EPOCH, CATEGORIES, SPEC_KEYS, SampleProduct
from .slug_kinds import PANEL_WORDS, has_phrase
from .slugs import Slug, product_name, read_slug, slug_of

SCENE7_IMAGE = "https://tileshop.scene7.com/is/image/TileShop/{}?$ExtraLarge$"


def product_rng(seed: int, path: str, purpose: str = "") -> random.Random:
    digest = hashlib.sha256(f"{seed}|{path}|{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_ORIGINS = {
    "Porcelain": ("Italy", "Spain", "Turkey", "India", "USA"),
    "Ceramic": ("Spain", "Portugal", "Mexico", "Turkey"),
    "Glass": ("China", "Vietnam"),
    "Metal": ("China",),
    "Resin": ("China",),
    "Marble": ("Turkey", "Italy", "Greece", "China"),
    "Travertine": ("Turkey", "Peru"),
    "Slate": ("India", "Brazil", "China"),
    "Limestone": ("Turkey", "Portugal"),
    "Granite": ("India", "Brazil"),
    "Quartzite": ("India", "Brazil"),
    "Onyx": ("Iran", "Turkey"),
    "Luxury Vinyl": ("Vietnam", "China"),
    "Laminate": ("Belgium", "Germany"),
    "Engineered Wood": ("China",),
    "Aluminum": ("Germany",),
}
_PER_SQFT_DOLLARS = {
    "Ceramic": (2, 8),
    "Porcelain": (3, 14),
    "Glass": (13, 34),
    "Metal": (24, 44),
    "Resin": (14, 24),
    "Marble": (9, 29),
    "Travertine": (5, 14),
    "Slate": (4, 11),
    "Limestone": (7, 16),
    "Granite": (8, 18),
    "Quartzite": (12, 24),
    "Onyx": (24, 39),
    "Luxury Vinyl": (2, 5),
    "Laminate": (1, 4),
    "Engineered Wood": (4, 8),
}
_LBS_PER_SQFT = {
    "Ceramic": 3.6,
    "Porcelain": 4.7,
    "Glass": 2.6,
    "Metal": 3.1,
    "Resin": 2.0,
    "Luxury Vinyl": 2.3,
    "Laminate": 1.9,
    "Engineered Wood": 2.1,
}


def _money(rng: random.Random, lo: int, hi: int) -> float:
    return rng.randint(lo, hi) + rng.choice((0.49, 0.79, 0.99, 0.99))


@dataclasses.dataclass
class _Offer:
    """How a product is sold, and its specs and documents."""

    price: float
    unit: str
    per_sqft: float | None = None
    coverage: float | None = None
    specs: Mapping[str, str | None] = dataclasses.field(default_factory=dict)  # None: not stated (left out)
    documents: list[dict[str, str]] = dataclasses.field(default_factory=list)
    renders: int = 0  # lifestyle images besides the main one


def product_from_slug(path: str, seed: int) -> SampleProduct:
    s = read_slug(slug_of(path))
    rng = product_rng(seed, path)
    make_offer = {"trim": _trim_offer, "grout": _grout_offer, "setting": _setting_offer, "tool": _tool_offer}.get(
        s.kind, _surface_offer
    )
    offer = make_offer(s, rng)
    image_id = s.sku or s.slug
    scenes = rng.sample(("livingroom", "bathroom", "kitchen", "shower", "entryway"), k=offer.renders)
    name = product_name(s.display)
    product = SampleProduct(
        path=path,
        sku=s.sku,
        name=name,
        kind=s.kind,
        brand=s.brand,
        price=round(offer.price, 2),
        price_unit=offer.unit,
        price_per_sqft=offer.per_sqft,
        coverage_sqft_per_box=offer.coverage,
        specs={k: v for k in SPEC_KEYS if (v := offer.specs.get(k))},
        documents=offer.documents,
        images=[SCENE7_IMAGE.format(image_id)]
        + [SCENE7_IMAGE.format(f"{image_id}_vendor_render_{scene}") for scene in scenes],
        description_html="",
        breadcrumbs=breadcrumbs(s.kind, name, path),
        availability="OutOfStock" if rng.random() < 0.03 else "InStock",
        last_modified=CATALOG_EPOCH + dt.timedelta(days=rng.randint(0, 37), minutes=rng.randint(0, 24 * 60 - 1)),
    )
    product.description_html = describe(product, product_rng(seed, path, "description"))
    return product


def _surface_offer(s: Slug, rng: random.Random) -> _Offer:
    """Tile, stone, LVT, laminate and wood: sold by the box with the per-sq-ft price shown."""
    kind, material, width, height, size = s.kind, s.material, s.width, s.height, s.size
    if material is None:
        material = (
            rng.choice(("Marble", "Travertine", "Limestone", "Slate"))
            if kind == "stone"
            else rng.choice(("Porcelain", "Porcelain", "Ceramic"))
        )
    if size is None or width is None or height is None:  # the slug states all three or none
        if s.has("mosaic", "penny") or kind == "stone" and s.has("arabesque"):
            width, height = 12, 12  # no chip size in the slug: state the sheet size
        else:
            width, height = rng.choice(_DEFAULT_SIZES.get(material, _DEFAULT_SIZES[kind]))
        size = f"{width:g} x {height:g} in"
    finish = s.finish or _default_finish(kind, material, rng)
    specs = {
        "MaterialType": material,
        "Color": s.color
        or rng.choice(
            ("Brown", "Beige", "Grey")
            if kind in ("lvt", "laminate", "wood")
            else ("Beige", "Grey", "White", "Multi", "Ivory", "Brown")
        ),
        "Finish": finish,
        "ApproximateSize": size,
    }
    mosaic = s.has("mosaic", "penny") or max(width, height) <= 2.5
    sheet_sqft = 0.96 if mosaic else width * height / 144 * 0.97
    if has_phrase(s.slug, *PANEL_WORDS):
        offer = _Offer(_money(rng, 249, 899), "each", specs=specs)
    else:
        qty = rng.choice((5, 8, 10)) if mosaic else max(1, round(rng.uniform(6, 15) / sheet_sqft))
        coverage = round(qty * sheet_sqft, 2)
        per_sqft = _money(rng, *_PER_SQFT_DOLLARS[material])
        if kind == "stone" and not mosaic and rng.random() < 0.15:
            offer = _Offer(per_sqft, "sqft", per_sqft=per_sqft, specs=specs)
        else:
            offer = _Offer(round(per_sqft * coverage, 2), "box", per_sqft=per_sqft, coverage=coverage, specs=specs)
            weight = coverage * _LBS_PER_SQFT.get(material, 6.2) * rng.uniform(0.9, 1.1)
            specs.update({"BoxQuantity": str(qty), "BoxWeight": f"{weight:.1f} lbs"})
    applications = _applications(kind, material, set(s.words), rng)
    specs.update(
        {
            "Applications": applications,
            "Thickness": _thickness(material, rng),
            "CountryOfOrigin": rng.choice(_ORIGINS.get(material, ("USA",))),
            "ShadeVariation": rng.choice(("V1", "V2", "V3", "V4") if kind != "stone" else ("V3", "V4")),
        }
    )
    if kind in ("tile", "stone"):
        specs["EdgeType"] = (
            "Tumbled"
            if finish == "Tumbled"
            else "Beveled"
            if s.has("bevel")
            else "Rectified"
            if material == "Porcelain" or width * height >= 288
            else rng.choice(("Pressed", "Straight"))
        )
        specs["RecommendedGrout"] = (
            "Unsanded"
            if material == "Glass" or kind == "stone" and finish == "Polished"
            else rng.choice(("Sanded", "Unsanded"))
        )
        specs["DirectionalLayout"] = (
            "Yes" if s.has("chevron", "herringbone", "arabesque") else rng.choice(("No", "No", "Yes"))
        )
        if material in ("Porcelain", "Ceramic") and "Floor" in applications:
            specs["SurfaceAbrasion"] = rng.choice(
                ("CLASS 3", "CLASS 4", "CLASS 5") if material == "Porcelain" else ("CLASS 2", "CLASS 3")
            )
        if material in ("Porcelain", "Glass", "Ceramic"):
            specs["FrostResistance"] = "Not Resistant" if material == "Ceramic" else "Resistant"
    else:
        specs["EdgeType"] = rng.choice(("Micro-Beveled", "Square", "Painted Bevel"))
        specs["DirectionalLayout"] = "Yes"
    if material in ("Porcelain", "Ceramic", "Glass") and rng.random() < 0.5:
        offer.documents.append(safety_data_sheet(material))
    if kind in ("lvt", "laminate", "wood") and material in FLOORING_STEMS:
        offer.documents += flooring_documents(material)
    if kind == "stone" and rng.random() < 0.6:
        offer.documents.append(dict(CARE_GUIDE))
    offer.renders = rng.randint(1, 3)
    return offer


def _trim_offer(s: Slug, rng: random.Random) -> _Offer:
    material = s.material or (
        "Porcelain"
        if s.has("porcelain")
        else "Ceramic"
        if s.has("gloss", "ceramic")
        else rng.choice(("Ceramic", "Porcelain", "Marble"))
    )
    lo, hi = {
        "Laminate": (34, 69),
        "Luxury Vinyl": (29, 59),
        "Engineered Wood": (39, 79),
        "Aluminum": (14, 34),
        "Marble": (12, 44),
        "Travertine": (9, 29),
    }.get(material, (4, 24))
    floor_only = material in ("Laminate", "Luxury Vinyl", "Engineered Wood") or has_phrase(
        s.slug, "threshold", "thres", "curb"
    )
    specs = {
        "MaterialType": material,
        "Color": s.color or rng.choice(("White", "Beige", "Grey", "Brown")),
        "Finish": s.finish or _default_finish("trim", material, rng),
        "Applications": "Floor" if floor_only else "Wall" if s.has("wall") else rng.choice(("Wall", "Floor, Wall")),
        "CountryOfOrigin": rng.choice(_ORIGINS.get(material, ("USA",))),
        "ApproximateSize": s.size,
    }
    if material in ("Ceramic", "Porcelain", "Marble", "Travertine", "Limestone", "Slate", "Glass"):
        specs["EdgeType"] = "Bullnose" if s.has("bullnose") else rng.choice(("Rectified", "Pressed", "Straight"))
        specs["Thickness"] = _thickness(material, rng)
    return _Offer(_money(rng, lo, hi), "each", specs=specs)


def _grout_offer(s: Slug, rng: random.Random) -> _Offer:
    """Powder grout in a bag; caulk, colorant and premixed grout each."""
    caulk = s.has("caulk", "silicone")
    bagged = (
        not caulk
        and bool(re.search(r"-\d+-?lbs?\b", s.display.lower()))
        and not has_phrase(s.slug, "pre-mixed", "urethane")
    )
    material = (
        "Grout Colorant"
        if has_phrase(s.slug, "pro-color")
        else "Grout Admixture"
        if s.has("admixture")
        else "Siliconized Acrylic Caulk"
        if s.has("acrylic")
        else "Silicone Caulk"
        if caulk
        else "Urethane Grout"
        if s.has("urethane")
        else "Epoxy Grout"
        if s.has("epoxy")
        else "Unsanded Cement Grout"
        if s.has("unsanded")
        else "Sanded Cement Grout"
    )
    price = _money(rng, 14, 34) if bagged else _money(rng, 8, 16) if caulk else _money(rng, 49, 89)
    specs = {
        "MaterialType": material,
        "Color": _grout_color(s.display) or s.color or "Grey",
        "Applications": rng.choice(("Floor, Shower Wall, Wall", "Countertop, Floor, Wall", "Floor, Wall")),
        "CountryOfOrigin": "USA",
    }
    return _Offer(price, "bag" if bagged else "each", specs=specs, documents=data_sheets(s.slug, rng.random() < 0.7))


def _setting_offer(s: Slug, rng: random.Random) -> _Offer:
    material = (
        "Large Format Tile Mortar"
        if s.has("lft")
        else "Polymer-Modified Mortar"
        if s.has("mortar")
        else "Self-Leveling Underlayment"
        if has_phrase(s.slug, "self-leveling", "leveler")
        else "Patch and Skim Coat"
        if s.has("patch")
        else "Adhesive"
        if s.has("adhesive")
        else "Primer"
        if s.has("primer")
        else "Thinset Mortar"
    )
    specs = {"MaterialType": material, "Applications": "Floor, Wall", "CountryOfOrigin": "USA", "Color": s.color}
    return _Offer(_money(rng, 24, 69), "each", specs=specs, documents=data_sheets(s.slug, rng.random() < 0.7))


def _tool_offer(s: Slug, rng: random.Random) -> _Offer:
    """Tools and accessories: only the specs the slug supports."""
    lo, hi = (
        (149, 449)
        if s.has("kit")
        else (49, 199)
        if s.has("drain", "grate", "thermostat", "base")
        else (12, 29)
        if s.has("trowel", "spacers", "clips", "float", "sponge")
        else (14, 89)
    )
    origins = ("USA", "China", "Germany") if s.brand != "The Tile Shop" else ("China", "Turkey")
    specs = {
        "MaterialType": s.material,
        "Color": s.color,
        "Finish": s.finish,
        "ApproximateSize": s.size,
        "CountryOfOrigin": rng.choice(origins),
    }
    documents = data_sheets(s.slug, rng.random() < 0.7) if s.has("sealer", "clean", "cleaner", "membrane") else []
    return _Offer(_money(rng, lo, hi), "each", specs=specs, documents=documents)


_GROUT_NAME_NOISE = {
    "superior",
    "pro",
    "excel",
    "sanded",
    "unsanded",
    "grout",
    "caulk",
    "siliconized",
    "acrylic",
    "silicone",
    "ardex",
    "fl",
    "bostik",
    "dimension",
    "rapidcure",
    "glass",
    "filled",
    "pre",
    "mixed",
    "urethane",
    "lb",
    "lbs",
    "oz",
    "epoxy",
    "premium",
    "100",
    "standard",
    "sx",
    "fg",
    "c",
    "microtec",
    "color",
}


def _grout_color(display: str) -> str | None:
    """Grout and caulk colors are proper names in the slug: `...-london-fog-sanded-...` -> London Fog."""
    words = [w.strip(",.") for w in display.lower().split("-")]
    kept = [w for w in words if w and w not in _GROUT_NAME_NOISE and not re.fullmatch(r"[\d.]+(lb|lbs|oz)?", w)]
    return " ".join(w.capitalize() for w in kept) or None


_DEFAULT_SIZES = {
    "Ceramic": ((3, 6), (4, 12), (4, 16), (8, 8), (6, 6)),
    "Porcelain": ((12, 24), (24, 24), (12, 12), (24, 48)),
    "Glass": ((2, 2), (3, 6), (4, 12)),
    "stone": ((12, 12), (3, 6), (6, 6), (12, 24)),
    "tile": ((12, 12), (12, 24)),
    "lvt": ((7, 48), (9, 60)),
    "laminate": ((8, 48), (8, 72)),
    "wood": ((7, 72), (9, 86)),
}


def _default_finish(kind: str, material: str, rng: random.Random) -> str:
    if kind in ("lvt", "laminate", "wood"):
        return rng.choice(("Matte", "Textured", "Wire-Brushed"))
    if material in ("Marble", "Onyx", "Granite", "Quartzite"):
        return rng.choice(("Honed", "Polished"))
    if material in ("Travertine", "Limestone"):
        return rng.choice(("Honed", "Tumbled"))
    if material == "Slate":
        return "Natural Cleft"
    if material == "Glass":
        return rng.choice(("Gloss", "Frosted"))
    if material == "Aluminum":
        return rng.choice(("Satin", "Brushed", "Polished"))
    return rng.choice(("Matte", "Gloss") if material == "Ceramic" else ("Matte", "Matte", "Polished", "Textured"))


def _applications(kind: str, material: str, words: set[str], rng: random.Random) -> str:
    if kind in ("lvt", "laminate", "wood"):
        return rng.choice(("Floor", "Floor, Light Commercial"))
    wall, floor = "wall" in words, "floor" in words
    if not wall and not floor:
        wall, floor = True, material not in ("Glass", "Metal")
    apps = set()
    if wall:
        apps.add("Wall")
        apps |= {extra for extra in ("Backsplash", "Shower Wall") if rng.random() < 0.5}
    if floor:
        apps |= {"Floor"} | ({"Light Commercial"} if material == "Porcelain" and rng.random() < 0.6 else set())
        if material in ("Porcelain", "Slate", "Travertine") and rng.random() < 0.3:
            apps.add("Exterior")
    return ", ".join(sorted(apps))


def _thickness(material: str, rng: random.Random) -> str:
    return rng.choice(_THICKNESS.get(material, ("10mm", "12mm", "3/8 in")))


_THICKNESS = {
    "Ceramic": ("7mm", "8mm", "8.7mm", "9mm"),
    "Porcelain": ("8mm", "9mm", "10mm", "6mm"),
    "Glass": ("4mm", "6mm", "8mm"),
    "Metal": ("6mm", "8mm"),
    "Luxury Vinyl": ("5mm", "6.5mm", "8mm"),
    "Laminate": ("10mm", "12mm"),
    "Engineered Wood": ("12mm", "14mm"),
}


def breadcrumbs(kind: str, name: str, path: str) -> list[tuple[str, str]]:
    cat_path, cat_name = CATEGORIES[kind]
    return [("Home", "/"), (cat_name, cat_path), (name, path)]
