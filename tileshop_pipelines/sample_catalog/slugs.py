"""What a sample product's URL slug states: kind and material, name, size, colors, finish and
brand, read from its words before any random fill-in (products.py); the kind and material are
slug_kinds.py's."""

from __future__ import annotations

import dataclasses
import re

from .slug_kinds import classify, words_of

_SKU_RE = re.compile(r"-(\d+[A-Za-z]*)$")


def slug_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


_COLOR_WORDS = {
    "white": "White",
    "snow": "White",
    "bianco": "White",
    "blanco": "White",
    "blanc": "White",
    "branco": "White",
    "carrara": "White",
    "calacatta": "White",
    "calacata": "White",
    "statuario": "White",
    "thassos": "White",
    "volakas": "White",
    "arctic": "White",
    "black": "Black",
    "noir": "Black",
    "nero": "Black",
    "negro": "Black",
    "marquina": "Black",
    "onyx": "Black",
    "grey": "Grey",
    "gris": "Grey",
    "grigio": "Grey",
    "smoke": "Grey",
    "gray": "Gray",
    "blue": "Blue",
    "ocean": "Blue",
    "sky": "Blue",
    "denim": "Blue",
    "navy": "Blue",
    "blu": "Blue",
    "beige": "Beige",
    "crema": "Beige",
    "ivory": "Ivory",
    "avorio": "Ivory",
    "cream": "Cream",
    "creme": "Cream",
    "taupe": "Taupe",
    "greige": "Greige",
    "green": "Green",
    "emerald": "Green",
    "forest": "Green",
    "sage": "Sage",
    "mint": "Mint",
    "silver": "Silver",
    "argento": "Silver",
    "gold": "Gold",
    "golden": "Gold",
    "oro": "Gold",
    "brown": "Brown",
    "walnut": "Brown",
    "espresso": "Brown",
    "oak": "Brown",
    "hickory": "Brown",
    "nutmeg": "Brown",
    "emperador": "Brown",
    "red": "Red",
    "rosso": "Red",
    "burgundy": "Burgundy",
    "pink": "Pink",
    "blush": "Pink",
    "orchid": "Purple",
    "lilac": "Purple",
    "charcoal": "Charcoal",
    "graphite": "Charcoal",
    "pewter": "Pewter",
    "sand": "Sand",
    "almond": "Almond",
    "bone": "Bone",
    "linen": "Linen",
    "oatmeal": "Oatmeal",
    "khaki": "Khaki",
    "teal": "Teal",
    "turquoise": "Turquoise",
    "aqua": "Aqua",
    "terracotta": "Terracotta",
    "clay": "Terracotta",
    "rust": "Rust",
    "copper": "Copper",
    "bronze": "Bronze",
    "chrome": "Chrome",
    "titanium": "Titanium",
    "mocha": "Brown",
    "umber": "Brown",
    "multi": "Multi",
    "mix": "Multi",
}
_FINISH_WORDS = {
    "matte": "Matte",
    "gloss": "Gloss",
    "glossy": "Gloss",
    "polished": "Polished",
    "pol": "Polished",
    "honed": "Honed",
    "tumbled": "Tumbled",
    "satin": "Satin",
    "brushed": "Brushed",
    "textured": "Textured",
    "lappato": "Lappato",
    "iridescent": "Iridescent",
    "antique": "Antiqued",
}
_BRANDS = (
    ("superior", "Superior"),
    ("ardex", "ARDEX"),
    ("wedi", "wedi"),
    ("bostik", "Bostik"),
    ("morris-&-co", "Morris & Co."),
    ("annie-selke", "Annie Selke"),
    ("raimondi", "Raimondi"),
    ("suntouch", "SunTouch"),
    ("goboard", "GoBoard"),
    ("permabase", "PermaBase"),
    ("loctite", "Loctite"),
    ("flofx", "FloFX"),
    ("easy-pitch", "Easy Pitch"),
    ("custom", "Custom Building Products"),
    ("max-seal", "Max Seal"),
    ("dural", "Dural"),
    ("nikki-chu", "Nikki Chu"),
    ("jeffrey-alan-marks", "Jeffrey Alan Marks"),
    ("kelli-ellis", "Kelli Ellis"),
)
_SMALL_WORDS = {"x", "in", "ft", "lb", "lbs", "oz", "and", "with", "of", "by", "or", "per", "sq"}
_ACRONYMS = {"lft", "spc", "usa", "ls", "pl", "tds", "sds", "lvt", "pvc", "ac", "oc", "br", "sx", "fl", "fg", "diy"}
_BRAND_SPELLING = {
    "ardex": "ARDEX",
    "goboard": "GoBoard",
    "suntouch": "SunTouch",
    "flofx": "FloFX",
    "permabase": "PermaBase",
    "wedi": "wedi",
}


def _display_slug(slug: str, sku: str | None) -> str:
    """Slug without the SKU, with the decimals the slug format dropped restored (256-x-10 -> 2.56-x-10)."""
    s = slug[: -len(sku) - 1] if sku else slug
    s = re.sub(r"(?<![\d.])0-(\d+)(?=-x-|-in\b)", r"0.\1", s)
    s = re.sub(r"-x-(\d+)-(\d)-in\b", r"-x-\1.\2-in", s)
    s = re.sub(
        r"(?<![\d.x])-(\d{1,2})-(2|4|8|16|32)(?=-in\b)",
        lambda m: f"-{m.group(1)}/{m.group(2)}" if int(m.group(1)) < int(m.group(2)) else m.group(0),
        s,
    )
    s = re.sub(r"(?<![\d.-])-([1-9])(\d[1-9])(?=-x-)", r"-\1.\2", s)
    s = re.sub(r"-x-([1-9])(\d[1-9])(?=-in\b)", r"-x-\1.\2", s)
    # Laminate planks: 96-x-7886 is 9.6 x 78.86 in, 76-x-5445 is 7.6 x 54.45 in (not a 657-ft plank).
    s = re.sub(r"(?<![\d.])-([1-9])([1-9])-x-([1-9]\d)(\d[1-9])(?=-in\b)", r"-\1.\2-x-\3.\4", s)
    s = re.sub(r"-x-([1-9]\d)(\d[1-9])(?=-in\b)", r"-x-\1.\2", s)
    # 5-875-x-8 is 5.875 x 8 in; a lone 1375-in is 1.375 in.
    s = re.sub(r"(?<![\d.])-([1-9])-(\d{2}[1-9])(?=-x-)", r"-\1.\2", s)
    s = re.sub(r"(?<![\d.x])-([1-9])(\d{2}[1-9])(?=-in\b)", r"-\1.\2", s)
    return s


def product_name(display: str) -> str:
    words = [w for w in display.split("-") if w]
    out = []
    for i, w in enumerate(words):
        lw = w.lower().rstrip(".")
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(lb|lbs|oz)", lw)
        if m:
            out.append(f"{m.group(1)} {m.group(2)}")
        elif lw == "t" and i + 1 < len(words) and words[i + 1].lower() in ("molding", "cove"):
            out.append("T")
        elif lw in _SMALL_WORDS and i > 0:
            out.append(lw)
        elif lw in _ACRONYMS:
            out.append(lw.upper())
        elif lw in _BRAND_SPELLING:
            out.append(_BRAND_SPELLING[lw])
        elif w[:1].isupper() or not w[:1].isalpha():
            out.append(w.rstrip(".") if i == len(words) - 1 else w)
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out).replace("T Molding", "T-Molding").replace("T Cove", "T-Cove")


def _size(display: str, words: set[str]) -> tuple[str | None, float | None, float | None]:
    """(ApproximateSize text, width in, height in) from the display slug."""
    num = r"\d+/\d+|\d+(?:\.\d+)?|\u00bd|\u00bc|\u00be"
    m = re.search(rf"(?<![\d.])({num})-ft-x-({num})-ft", display)
    if m:
        return f"{m.group(1)} x {m.group(2)} ft", float(m.group(1)) * 12, float(m.group(2)) * 12
    m = re.search(rf"(?<![\d.])({num})-x-({num})(?:-x-({num}))?(?:-in|\+|-\+)", display)
    if m:
        w, h = m.group(1), m.group(2)
        return f"{w} x {h} in", _num(w), _num(h)
    m = re.search(rf"(?<![\d.x-])-({num})-in\.?(?:-|$)", display)
    if m:
        d = m.group(1)
        if words & {"hex", "penny", "octagon", "round", "arabesque"} or _num(d) >= 48:
            return f"{d} in", _num(d), _num(d)
        return f"{d} x {d} in", _num(d), _num(d)
    return None, None, None


def _num(text: str) -> float:
    if "/" in text:
        top, bottom = text.split("/")
        return int(top) / int(bottom)
    return {"\u00bd": 0.5, "\u00bc": 0.25, "\u00be": 0.75}.get(text) or float(text)


@dataclasses.dataclass
class Slug:
    """What a product slug states (or implies) before any random fill-in."""

    slug: str
    sku: str | None
    words: list[str]
    kind: str
    material: str | None
    display: str  # slug without the SKU, decimals restored
    size: str | None  # ApproximateSize text
    width: float | None  # inches
    height: float | None
    color: str | None
    finish: str | None
    brand: str

    def has(self, *words: str) -> bool:
        return any(w in self.words for w in words)


def read_slug(slug: str) -> Slug:
    m = _SKU_RE.search(slug)
    sku = m.group(1) if m else None
    words = words_of(slug)
    kind, material = classify(slug)
    display = _display_slug(slug, sku)
    size, width, height = _size(display.lower(), set(words))
    colors = list(dict.fromkeys(_COLOR_WORDS[w] for w in words if w in _COLOR_WORDS))
    # The last finish word is the finish ("urbanstone-black-satin-hex-matte": "black satin" is a color name).
    finish = next((_FINISH_WORDS[w] for w in reversed(words) if w in _FINISH_WORDS), None)
    brand = next((b for prefix, b in _BRANDS if slug.lower().startswith(prefix)), "The Tile Shop")
    return Slug(
        slug,
        sku,
        words,
        kind,
        material,
        display,
        size,
        width,
        height,
        ", ".join(colors[:2]) if colors else None,
        finish,
        brand,
    )
