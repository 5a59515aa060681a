"""A sample product's kind and material read from its URL slug's words (`classify`), and the word
helpers slugs.py reads the rest of a slug with."""

from __future__ import annotations


def words_of(slug: str) -> list[str]:
    return [w.rstrip(".") for w in slug.lower().split("-") if w.rstrip(".")]


def has_phrase(slug: str, *phrases: str) -> bool:
    s = f"-{slug.lower()}-"
    return any(f"-{p}-" in s for p in phrases)


_TOOL_BRANDS = ("wedi", "raimondi", "easy-pitch", "suntouch", "flofx", "goboard", "permabase", "max-seal", "ardex-t")
_TOOL_WORDS = (
    "trowel",
    "shelf",
    "backer-board",
    "sealer",
    "clean",
    "cleaner",
    "drain",
    "grate",
    "niche",
    "membrane",
    "seat",
    "spacers",
    "paddle",
    "sponge",
    "bucket",
    "float",
    "clips",
    "wedges",
    "thermostat",
    "warmwire",
    "cable",
    "mat",
    "kit",
    "enhancer",
    "underlayment",
    "knife",
    "nippers",
    "cutter",
    "blade",
    "level",
    "pipe-collar",
    "shower-base",
    "roll",
    "pieces",
    "pack",
    "gloves",
    "knee-pads",
    "leveling-system",
    "lippage",
    "wedge",
    "washer",
    "polishing-pad",
    "tapping-block",
    "pull-bar",
    "scoring-wheel",
    "filler",
    "lath",
    "switch-plate",
    "tar-paper",
    "backerboard",
    "pro-shield",
    "enhance-and-seal",
    "fasteners",
    "bit",
    "bits",
)
# Care products and grouting tools mention grout or sealers but are accessories.
_ACCESSORY_WORDS = {
    "sealer",
    "remover",
    "cleaner",
    "clean",
    "enhancer",
    "haze",
    "pail",
    "float",
    "sponge",
    "bucket",
    "gloves",
    "trowel",
    "paddle",
}
_GROUT_WORDS = ("grout", "caulk", "silicone", "sanded", "unsanded", "pro-color")
_SETTING_WORDS = (
    "mortar",
    "thinset",
    "thin-set",
    "patch",
    "primer",
    "adhesive",
    "self-leveling",
    "leveler",
    "skim-coat",
)
_TRIM_WORDS = (
    "bullnose",
    "pencil",
    "chair-rail",
    "trim",
    "stair-nose",
    "flush-stair",
    "overlap-stair",
    "quarter-round",
    "t-molding",
    "molding",
    "reducer",
    "liner",
    "listello",
    "threshold",
    "thres",
    "cornice",
    "skirting",
    "curb",
    "out-corner",
    "in-corner",
    "t-cove",
    "jolly",
    "sill",
    "end-cap",
    "dural",
    "edge-profile",
)
PANEL_WORDS = ("wall-panel", "shower-kit", "tub-kit")
_STONE_MATERIALS = {
    "marble": "Marble",
    "travertine": "Travertine",
    "slate": "Slate",
    "limestone": "Limestone",
    "granite": "Granite",
    "quartzite": "Quartzite",
    "onyx": "Onyx",
}
_TILE_MATERIALS = {
    "porcelain": "Porcelain",
    "ceramic": "Ceramic",
    "glass": "Glass",
    "metal": "Metal",
    "steel": "Metal",
    "resin": "Resin",
}
_MARBLE_NAMES = (
    "carrara",
    "calacatta",
    "calacata",
    "calacutta",
    "statuario",
    "volakas",
    "marquina",
    "emperador",
    "thassos",
    "crema",
)


def classify(slug: str) -> tuple[str, str | None]:
    """(kind, material) from slug words. First matching rule wins, most specific first."""
    words = set(words_of(slug))
    # Tile bodies first: "slate-blue-gloss-ceramic" is ceramic, "slate" there is a color.
    material = next((m for w, m in {**_TILE_MATERIALS, **_STONE_MATERIALS}.items() if w in words), None)
    if any(w in words for w in ("laminate",)):
        material = "Laminate"
    elif "vinyl" in words or "spc" in words:
        material = "Luxury Vinyl"
    elif has_phrase(slug, "engineered-wood", "hardwood"):
        material = "Engineered Wood"
    if slug.lower().startswith(_TOOL_BRANDS):
        return "tool", material
    if words & _ACCESSORY_WORDS:
        return "tool", None
    tile_body = material in _TILE_MATERIALS.values() and "tile" in words  # "patch-art-gold-ceramic-wall-tile"
    if has_phrase(slug, *_GROUT_WORDS) and not tile_body:
        return "grout", None
    if has_phrase(slug, *_SETTING_WORDS) and not tile_body:
        return "setting", None
    if has_phrase(slug, *PANEL_WORDS) and not has_phrase(slug, "easy-pitch"):
        return "tile", material or "Porcelain"
    if has_phrase(slug, *_TOOL_WORDS):
        return "tool", material
    if has_phrase(slug, *_TRIM_WORDS) or slug.lower().startswith("dural"):
        if slug.lower().startswith("dural"):
            material = "Aluminum"
        elif material is None and words & set(_MARBLE_NAMES):
            material = "Marble"
        return "trim", material
    if material == "Luxury Vinyl":
        return "lvt", material
    if material == "Laminate":
        return "laminate", material
    if material == "Engineered Wood":
        return "wood", material
    if material in _STONE_MATERIALS.values():
        return "stone", material
    if material is not None or words & {"tile", "mosaic", "subway", "penny", "hex"}:
        return "tile", material
    if words & set(_MARBLE_NAMES):
        return "stone", "Marble"
    # Unlabelled slugs (pattern and size names like "jalor-cafe-24-in") are natural stone lines.
    return "stone", "Travertine" if "tumbled" in words else None
