"""Product descriptions: HTML with entities, 60-200 words, built from the product's own attributes."""

from __future__ import annotations

import html
import random
import re

from .model import SampleProduct


def _e(text: str) -> str:
    return html.escape(text, quote=False)


_OPENERS = {
    "surface": (
        "<p>The {name} brings {color_l} tones and a {finish_l} finish to {room}. Made from {material_l}, it "
        "holds up to daily life while giving the room a calm, finished look that works with both modern "
        "and traditional design.</p>",
        "<p>Looking for a {finish_l} {material_l} that feels effortless? The {name} pairs {color_l} color with "
        "a {size} format, so it&#8217;s just as much at home in {room} as it is in an open living space.</p>",
        "<p>With its {color_l} palette and {finish_l} surface, the {name} is a versatile choice for {room}. "
        "Each piece is {material_l}, sized at {size}, and designed to make installation straightforward "
        "for homeowners &amp; pros alike.</p>",
        "<p>Designers call it a &quot;quiet statement&quot;: the {name} layers {color_l} color over a {finish_l} "
        "{material_l} face, giving {room} texture without visual noise. The {size} size keeps layouts flexible.</p>",
        "<p>Bring lasting character to {room} with the {name}. This {material_l} {noun} offers a {finish_l} "
        "finish in {color_l}, and its {size} dimensions suit everything from accent walls to full rooms.</p>",
    ),
    "trim": (
        "<p>Finish every edge cleanly with the {name}. This {material_l} trim piece comes in {color_l} with a "
        "{finish_l} finish, made to pair with the matching field tile for a polished, professional look.</p>",
        "<p>The {name} is the detail that completes a project. Use it to cap exposed edges, frame a niche or "
        "create a clean transition; its {color_l} {finish_l} surface matches the rest of the collection.</p>",
        "<p>Edges &amp; transitions deserve as much care as the field: the {name} gives corners and steps a "
        "crisp, finished profile in {color_l}, and it&#8217;s easy to cut to length on site.</p>",
    ),
    "grout": (
        "<p>{name} fills joints with consistent {color_l} color that resists shrinking and cracking. It&#8217;s "
        "formulated for dependable results in kitchens, bathrooms and other high-traffic spaces.</p>",
        "<p>Choose {name} for joints that stay {color_l} and clean. The formula mixes smoothly, tools easily "
        "and cures to a dense, durable finish suited to floors, walls &amp; showers.</p>",
    ),
    "setting": (
        "<p>{name} is a professional-grade setting material for tile and stone. It delivers strong bond "
        "strength and a generous open time, so installers can set tile with confidence on floors and walls.</p>",
        "<p>Build the installation on a solid foundation with {name}. Formulated for consistent mixing and "
        "excellent coverage, it&#8217;s a reliable choice for both residential &amp; commercial projects.</p>",
    ),
    "tool": (
        "<p>The {name} makes tile projects easier from start to finish. Built for durability and precise "
        "results, it&#8217;s a smart addition to any installer&#8217;s kit or a homeowner&#8217;s weekend project.</p>",
        "<p>Get professional results with the {name}. Designed for tile installation and finishing work, it "
        "helps save time on site and keeps the job clean, accurate &amp; on schedule.</p>",
    ),
}
_CLOSERS = {
    "surface": (
        "<p>Order a sample to see the {color_l} color in your own light, and pair it with our grout and "
        "trim for a finished look. Our design experts are happy to help you plan the layout.</p>",
        "<p>Every piece varies slightly, which adds natural depth to the finished surface. We recommend "
        "blending tile from several boxes during installation for the most even look.</p>",
        "<p>It&#8217;s easy to care for: sweep or vacuum regularly and clean with a pH-neutral cleaner. Visit "
        "a Tile Shop store to see it in person alongside coordinating trim and grout.</p>",
    ),
    "trim": (
        "<p>Measure edges and transitions before ordering, and add ten percent for cuts. Pair it with the "
        "matching field tile and our grout for a seamless finish.</p>",
        "<p>Install it with the same setting material as the field tile. Our store associates can help you "
        "choose the right profile for each edge.</p>",
    ),
    "support": (
        "<p>Always follow the manufacturer&#8217;s instructions and review the technical data sheet before use. "
        "Visit a Tile Shop store for advice on quantities and compatible products.</p>",
        "<p>Not sure how much you need? Bring your measurements to a Tile Shop store and our experts will "
        "help you plan the project &amp; pick compatible products.</p>",
    ),
}
_ROOMS = (
    "a bathroom",
    "a kitchen backsplash",
    "an entryway",
    "a shower surround",
    "a living room floor",
    "a laundry room",
    "a fireplace surround",
    "a mudroom",
)
_NOUNS = {
    "tile": "tile",
    "stone": "natural stone",
    "lvt": "luxury vinyl plank",
    "laminate": "laminate plank",
    "wood": "engineered wood plank",
}


def describe(product: SampleProduct, rng: random.Random) -> str:
    """A deterministic 60-200 word HTML description that states the product's real attributes."""
    specs = product.specs
    family = (
        "surface"
        if product.kind in _NOUNS
        else "trim"
        if product.kind == "trim"
        else product.kind
        if product.kind in ("grout", "setting")
        else "tool"
    )
    fields = {
        "name": _e(product.name),
        "color_l": _e(specs.get("Color", "neutral").lower()),
        "finish_l": _e(specs.get("Finish", "clean").lower()),
        "material_l": _e(specs.get("MaterialType", "durable material").lower()),
        "size": _e(specs.get("ApproximateSize", "versatile")),
        "room": rng.choice(_ROOMS),
        "noun": _NOUNS.get(product.kind, "product"),
    }
    opener = rng.choice(_OPENERS[family]).format(**fields)
    bullets = _bullets(product)
    rng.shuffle(bullets)
    bullets = bullets[: rng.randint(3, 5)]
    closers = list(_CLOSERS["surface" if family == "surface" else "trim" if family == "trim" else "support"])
    rng.shuffle(closers)
    parts = [
        opener,
        "<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>" if bullets else "",
        closers[0].format(**fields),
    ]
    if _word_count("".join(parts)) < 70:  # short specs (tools, caulks): add a second closing paragraph
        parts.append(closers[1].format(**fields))
    return "".join(parts)


def _word_count(description_html: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]+>", " ", description_html)).split())


def _bullets(product: SampleProduct) -> list[str]:
    s = {k: _e(v) for k, v in product.specs.items()}
    out = []
    if "MaterialType" in s:
        out.append(f"<strong>Material:</strong> {s['MaterialType']}")
    if "ApproximateSize" in s:
        out.append(f"<strong>Size:</strong> approximately {s['ApproximateSize']}")
    if "Applications" in s:
        out.append(f"<strong>Suitable for:</strong> {s['Applications'].lower()} installations")
    if "EdgeType" in s:
        purpose = "tight, even grout joints" if s["EdgeType"] == "Rectified" else "a finished profile"
        out.append(f"{s['EdgeType']} edges for {purpose}")
    if "ShadeVariation" in s:
        out.append(f"Shade variation {s['ShadeVariation']}: {_SHADE_WORDS[s['ShadeVariation']]}")
    if s.get("FrostResistance") == "Resistant":
        out.append("Frost resistant, so it can be used in exterior applications")
    if "SurfaceAbrasion" in s:
        out.append(f"Surface abrasion rated {s['SurfaceAbrasion']}")
    if "Finish" in s:
        out.append(f"{s['Finish']} finish that&#8217;s easy to clean")
    if "CountryOfOrigin" in s:
        out.append(f"Made in {s['CountryOfOrigin']}")
    if product.coverage_sqft_per_box:
        out.append(f"Each box covers {product.coverage_sqft_per_box:.2f} sq. ft.")
    if product.kind == "stone":
        out.append("Natural stone: seal before grouting and periodically after")
    return out


_SHADE_WORDS = {
    "V1": "uniform appearance",
    "V2": "slight variation",
    "V3": "moderate variation",
    "V4": "substantial, random variation",
}
