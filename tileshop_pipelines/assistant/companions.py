"""What goes with a product: the rules, each with the reason the shopper is given.

One module, plain functions over product records (dicts as store.product_lookup returns them); the
tool (tools.companion_products) reads the candidates from the store and calls `rank`. Every rule uses
facts the records state: the recommended grout type, color, material, finish, size, category and name.

- grout: of the type the tile's page recommends (sanded or unsanded) when it states one; a color
  family of the tile's first.
- trim: the same collection (the name's leading words, "Linewood" of "Linewood White Matte Ceramic
  Wall Tile") first; else the same color family, closer when the material and finish match too.
- setting: large-format mortar first for a tile with a side of 15 in or more; thinset otherwise.
- underlayment: for laminate, LVT and wood floors.
"""

from __future__ import annotations

import dataclasses
import re

KINDS = ("grout", "trim", "setting", "underlayment")
LARGE_FORMAT_MIN_SIDE_IN = 15.0

# Which companions a product of a category takes.
KINDS_FOR_CATEGORY = {
    "Tile": ("grout", "trim", "setting"),
    "Natural Stone": ("grout", "trim", "setting"),
    "Luxury Vinyl": ("trim", "underlayment"),
    "Laminate & Wood": ("trim", "underlayment"),
    "Trim & Molding": ("grout", "setting"),
}
FLOORING_CATEGORIES = ("Luxury Vinyl", "Laminate & Wood")

REASONS = {
    "grout_recommended": "{type} grout, {source}",
    "grout_unstated": "the product page does not state a grout type",
    "color_family": "a {family} color, like the {anchor}",
    "same_collection": "same collection ({collection})",
    "same_color": "same color family ({family})",
    "also_material": "also {value}",
    "large_format": "large-format mortar, for tiles with a side of 15 in or more{detail}",
    "thinset": "thinset mortar for setting tile",
    "thinset_after_large": "a polymer-modified thinset; for a side of 15 in or more, the large-format mortar above",
    "underlayment": "underlayment for laminate, LVT and wood floors",
}

# Color words -> family. Grout and caulk colors are proper names ("Dove Grey", "Stormy Mist"): a
# family is only claimed when the name holds one of these words.
COLOR_FAMILIES = {
    "white": ("white", "snow", "bianco", "blanco", "blanc", "bright"),
    "grey": ("grey", "gray", "silver", "charcoal", "gunmetal", "slate", "graphite", "smoke"),
    "beige": ("beige", "ivory", "sand", "cream", "bone", "almond", "biscuit", "oatmeal", "taupe", "linen"),
    "brown": ("brown", "umber", "mocha", "tobacco", "walnut", "chocolate", "oak", "espresso", "nutmeg"),
    "black": ("black", "onyx", "oynx", "ebony", "nero", "charcoal"),
    "blue": ("blue", "navy", "azure", "ocean"),
    "green": ("green", "sage", "olive", "spearmint"),
    "red": ("red", "rojo", "rosso", "terracotta"),
}
_FAMILY_OF_WORD = {word: family for family, words in COLOR_FAMILIES.items() for word in words}

# Words that end a collection name: what the name goes on to say about the product itself.
_DESCRIPTOR_WORDS = {
    "matte",
    "gloss",
    "glossy",
    "polished",
    "honed",
    "tumbled",
    "textured",
    "satin",
    "brushed",
    "natural",
    "porcelain",
    "ceramic",
    "glass",
    "marble",
    "travertine",
    "limestone",
    "slate",
    "granite",
    "quartzite",
    "onyx",
    "metal",
    "laminate",
    "vinyl",
    "luxury",
    "engineered",
    "wood",
    "tile",
    "tiles",
    "mosaic",
    "wall",
    "floor",
    "trim",
    "bullnose",
    "pencil",
    "subway",
    "hex",
    "plank",
    "listello",
    "molding",
    "moulding",
    "quarter",
    "stair",
    "reducer",
    "threshold",
    "cornice",
    "skirting",
    "and",
    "in",
    "x",
}
_WORD = re.compile(r"[a-z0-9&']+")
_SIDE = re.compile(r"(\d+(?:\.\d+)?)")


@dataclasses.dataclass(frozen=True)
class Anchor:
    """What the companions are for: a product's record, or a tile described in words."""

    name: str | None = None
    category: str | None = None
    material: str | None = None
    color: str | None = None
    finish: str | None = None
    size: str | None = None
    recommended_grout: str | None = None
    large_format: bool = False  # the shopper said "large format"
    grout_source: str = "the type the product page recommends"

    @classmethod
    def of(cls, record: dict) -> Anchor:
        return cls(
            name=record.get("name"),
            category=record.get("category"),
            material=record.get("material"),
            color=record.get("color"),
            finish=record.get("finish"),
            size=record.get("size"),
            recommended_grout=record.get("recommended_grout"),
        )

    @property
    def largest_side_in(self) -> float | None:
        """The largest side of a size stated in inches ("12 x 36 in" -> 36)."""
        if not self.size or not self.size.strip().lower().endswith("in"):
            return None
        sides = [float(x) for x in _SIDE.findall(self.size)]
        return max(sides) if sides else None

    @property
    def is_large_format(self) -> bool:
        side = self.largest_side_in
        return self.large_format or (side is not None and side >= LARGE_FORMAT_MIN_SIDE_IN)

    def label(self) -> str:
        described = (
            self.size,
            "large-format" if self.large_format else None,
            self.material.lower() if self.material else None,
            "tile",
        )
        return self.name or " ".join(x for x in described if x)


@dataclasses.dataclass(frozen=True)
class Companion:
    kind: str
    reason: str
    product: dict
    rank: tuple = ()


def color_families(color: str | None) -> list[str]:
    """The families named by a color ("Beige, White" -> ["beige", "white"]), in order."""
    found: list[str] = []
    for word in _WORD.findall((color or "").lower()):
        family = _FAMILY_OF_WORD.get(word)
        if family and family not in found:
            found.append(family)
    return found


def collection(name: str | None, own_values: tuple[str | None, ...] = ()) -> str | None:
    """The name's leading words before what it says about the product (descriptor words, or the
    words of its own color, finish and material): "Linewood White Matte Ceramic Wall Tile 12 x 36 in"
    -> "Linewood"; "Oak Brera Classic Laminate" (color Brown) -> "Oak Brera Classic"."""
    own = {w for value in own_values if value for w in _WORD.findall(value.lower())}
    words = []
    for raw in (name or "").split():
        word = raw.lower().strip(",.")
        if word in _DESCRIPTOR_WORDS or word in own or re.fullmatch(r"[\d./]+", word):
            break
        words.append(raw.strip(",."))
    return " ".join(words) or None


def _same_collection(anchor_collection: str, name: str | None) -> bool:
    wanted = anchor_collection.lower().split()
    return (name or "").lower().split()[: len(wanted)] == wanted


def kinds_for(anchor: Anchor) -> tuple[str, ...]:
    if anchor.category is None:  # a tile described in words
        return ("grout", "trim", "setting")
    return KINDS_FOR_CATEGORY.get(anchor.category, ())


def is_grout(product: dict) -> bool:
    material = (product["record"].get("material") or "").lower()
    name = (product.get("name") or "").lower()
    return "grout" in material and "colorant" not in material and "admixture" not in name


def grout_type(product: dict) -> str | None:
    """ "Sanded" or "Unsanded", as the grout's material states ("Unsanded Cement Grout")."""
    first = (product["record"].get("material") or "").split(" ")[0].lower()
    return first.capitalize() if first in ("sanded", "unsanded") else None


def rank(kind: str, anchor: Anchor, candidates: list[dict]) -> tuple[list[Companion], str | None]:
    """The candidates that go with `anchor` as `kind`, best first, and a note for the shopper when
    the rule could not be met in full (no trim of the collection, no grout of the recommended type)."""
    if kind == "grout":
        return _grout(anchor, candidates)
    if kind == "trim":
        return _trim(anchor, candidates)
    if kind == "setting":
        return _setting(anchor, candidates)
    if kind == "underlayment":
        return [Companion(kind, REASONS["underlayment"], p, (p["price"] or 0,)) for p in candidates], None
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def _grout(anchor: Anchor, candidates: list[dict]) -> tuple[list[Companion], str | None]:
    grouts = [p for p in candidates if is_grout(p)]
    wanted = (anchor.recommended_grout or "").strip().capitalize() or None
    note = None
    if wanted in ("Sanded", "Unsanded"):
        typed = [p for p in grouts if grout_type(p) == wanted]
        if typed:
            grouts, base = typed, REASONS["grout_recommended"].format(type=wanted, source=anchor.grout_source)
        else:
            note = f"The catalog has no {wanted.lower()} grout, {anchor.grout_source}."
            base = REASONS["grout_unstated"]
    else:
        base = REASONS["grout_unstated"]
        note = (
            "The product page does not state a grout type (sanded or unsanded)."
            if anchor.name
            else "No grout type (sanded or unsanded) is stated for this tile."
        )
    families = color_families(anchor.color)
    found = []
    for p in grouts:
        shared = [f for f in color_families(p["record"].get("color")) if f in families]
        reason = base
        if shared:
            reason += "; " + REASONS["color_family"].format(family=shared[0], anchor=anchor.color or "tile")
        found.append(Companion("grout", reason, p, (0 if shared else 1, p["price"] or 0, p["sku"] or "")))
    return sorted(found, key=lambda c: c.rank), note


def _trim(anchor: Anchor, candidates: list[dict]) -> tuple[list[Companion], str | None]:
    own = collection(anchor.name, (anchor.color, anchor.finish, anchor.material))
    families = color_families(anchor.color)
    found, note = [], None
    in_collection = [p for p in candidates if own and _same_collection(own, p["name"])]
    if in_collection:
        for p in in_collection:
            found.append(
                Companion(
                    "trim", REASONS["same_collection"].format(collection=own), p, (0, p["price"] or 0, p["sku"] or "")
                )
            )
        return sorted(found, key=lambda c: c.rank), None
    if own:
        note = f"The catalog has no trim of the {own} collection; these share its color."
    for p in candidates:
        record = p["record"]
        shared = [f for f in color_families(record.get("color")) if f in families]
        if not shared:
            continue
        reason = REASONS["same_color"].format(family=shared[0])
        matches = [
            value
            for key in ("material", "finish")
            if (value := record.get(key)) and value.lower() == (getattr(anchor, key) or "").lower()
        ]
        if matches:
            reason += "; " + REASONS["also_material"].format(value=", ".join(matches))
        found.append(Companion("trim", reason, p, (-len(matches), p["price"] or 0, p["sku"] or "")))
    if not found and families:
        note = f"The catalog has no trim of the {own or 'same'} collection or of a {families[0]} color."
    return sorted(found, key=lambda c: c.rank), note


def _setting(anchor: Anchor, candidates: list[dict]) -> tuple[list[Companion], str | None]:
    if anchor.category in FLOORING_CATEGORIES:
        return [], "Laminate, LVT and wood floors float: they take underlayment, not thinset."
    side = anchor.largest_side_in
    detail = f" (this one: {side:g} in)" if side is not None and anchor.is_large_format else ""
    found = []
    for p in candidates:
        text = f"{p['record'].get('material') or ''} {p['name'] or ''}".lower()
        large = "large format" in text or re.search(r"\blft\b", text) is not None
        thinset = "mortar" in text or "thinset" in text or "thin-set" in text
        if not (large or thinset):
            continue  # patches, levelers, primers: not what sets tile
        if large:
            reason = REASONS["large_format"].format(detail=detail)
            order = 0 if anchor.is_large_format else 1
        else:
            reason = REASONS["thinset_after_large"] if anchor.is_large_format else REASONS["thinset"]
            order = 1 if anchor.is_large_format else 0
        found.append(Companion("setting", reason, p, (order, p["price"] or 0, p["sku"] or "")))
    return sorted(found, key=lambda c: c.rank), None
