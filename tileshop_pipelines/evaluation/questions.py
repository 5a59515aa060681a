"""A retrieval question set built from the sample catalog's true facts.

Each question carries the set of products that truly answer it, computed from the catalog's
attributes (never from any search result): by SKU, by exact name, by paraphrase (series name and
attributes in other words), by attribute combination ("matte white ceramic wall tile 12 x 36"), by
category ("unsanded grout in dove grey") and by price ("porcelain tile under $5 per sq. ft. for a
floor"). Products are picked with a seeded random generator, so the set is the same every run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from tileshop_pipelines.catalog.urls import classify_url
from tileshop_pipelines.sample_catalog import Catalog, SampleProduct

PER_KIND = {"sku": 30, "name": 30, "paraphrase": 30, "attributes": 30, "category": 10, "price": 10}
SURFACE_KINDS = ("tile", "stone")
_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # one of PER_KIND
    relevant: frozenset[str]  # product keys that answer it


def product_key(product: SampleProduct) -> str:
    key = classify_url(f"http://catalog.invalid{product.path}").product_key
    if key is None:
        raise ValueError(f"sample product path {product.path!r} is not a product URL")
    return key


def _applications(product: SampleProduct) -> list[str]:
    return [a.strip() for a in product.specs.get("Applications", "").split(",") if a.strip()]


def _colors(product: SampleProduct) -> list[str]:
    return [c.strip() for c in product.specs.get("Color", "").split(",") if c.strip()]


def _attribute_words(product: SampleProduct) -> set[str]:
    """Lower-case words of the product's attribute values (colors, finish, material, applications)."""
    values = [
        *_colors(product),
        product.specs.get("Finish", ""),
        product.specs.get("MaterialType", ""),
        *_applications(product),
    ]
    return {w.lower() for value in values for w in _WORD.findall(value)}


_GENERIC_WORDS = {
    "tile",
    "tiles",
    "wall",
    "floor",
    "and",
    "in",
    "x",
    "mosaic",
    "trim",
    "the",
    "by",
    "of",
    "with",
    "gloss",
    "glossy",
    "matte",
    "polished",
    "honed",
    "porcelain",
    "ceramic",
    "glass",
    "marble",
    "luxury",
    "vinyl",
    "plank",
    "subway",
    "natural",
    "stone",
    "ft",
    "lb",
}


def series_words(product: SampleProduct) -> list[str]:
    """The name's distinctive words (the series, e.g. 'Marmi Imperiali Zenobia'), attributes removed."""
    skip = _GENERIC_WORDS | _attribute_words(product)
    return [w for w in _WORD.findall(product.name) if w.lower() not in skip and len(w) > 1]


def _matching(catalog: Catalog, test: Callable[[SampleProduct], bool]) -> frozenset[str]:
    return frozenset(product_key(p) for p in catalog.products if test(p))


def _sku_questions(catalog: Catalog, rng: random.Random, n: int) -> list[Question]:
    skus = [p.sku for p in catalog.products if p.sku]
    # (mypy cannot type a lambda whose default binds the loop's value: https://github.com/python/mypy/issues/4226)
    return [
        Question(sku, "sku", _matching(catalog, lambda q, s=sku: q.sku == s))  # type: ignore[misc]
        for sku in rng.sample(skus, min(n, len(skus)))
    ]


def _name_questions(catalog: Catalog, rng: random.Random, n: int) -> list[Question]:
    return [
        Question(p.name, "name", _matching(catalog, lambda q, name=p.name: q.name.lower() == name.lower()))  # type: ignore[misc]
        for p in rng.sample(catalog.products, min(n, len(catalog.products)))
    ]


# How shoppers say what the catalog calls otherwise (a paraphrase shares meaning, not words).
_SHOPPER_FINISH = {
    "Gloss": "shiny",
    "Matte": "flat, non-shiny",
    "Polished": "high-shine",
    "Honed": "smooth satin-look",
    "Textured": "slip-resistant",
    "Frosted": "misted",
    "Brushed": "brushed-metal look",
    "Satin": "soft-sheen",
    "Tumbled": "rustic worn-edge",
}
_SHOPPER_COLOR = {
    "Grey": "gray",
    "Gray": "grey",
    "Ivory": "off-white",
    "Cream": "off-white",
    "Beige": "tan",
    "Brown": "chocolate",
    "Multi": "multicolored",
    "Charcoal": "dark gray",
    "Black": "jet black",
    "White": "bright white",
    "Blue": "navy",
    "Silver": "metallic",
    "Gold": "golden",
    "Sand": "tan",
}
_SHOPPER_NOUN = {
    "tile": "tiles",
    "stone": "natural stone",
    "lvt": "vinyl planks",
    "laminate": "laminate flooring",
    "wood": "wood flooring",
    "trim": "edging",
}
_SHOPPER_PLACE = {
    "Wall": "walls",
    "Floor": "floors",
    "Backsplash": "a kitchen backsplash",
    "Shower Wall": "a shower surround",
    "Countertop": "counters",
    "Exterior": "outdoors",
    "Light Commercial": "a shop or office",
}


def _shopper_size(size: str) -> str:
    return size.replace(" x ", " by ").replace(" in", " inch").replace(" ft", " foot")


def _paraphrase_questions(catalog: Catalog, rng: random.Random, n: int) -> list[Question]:
    """The product in a shopper's own words: every stated attribute holds for the answers. Half
    name the series ('Zenobia'), half only describe the product."""
    candidates = [
        p
        for p in catalog.products
        if p.kind in _SHOPPER_NOUN
        and _colors(p)
        and p.specs.get("Finish") in _SHOPPER_FINISH
        and _colors(p)[0] in _SHOPPER_COLOR
        and _applications(p)
    ]
    questions = []
    for i, p in enumerate(rng.sample(candidates, min(n, len(candidates)))):
        color, finish, place = _colors(p)[0], p.specs["Finish"], rng.choice(_applications(p))
        size = p.specs.get("ApproximateSize")
        named = i % 2 == 0 and bool(series_words(p))
        words = [
            _SHOPPER_FINISH[finish],
            _SHOPPER_COLOR[color],
            " ".join(series_words(p)) if named else "",
            _SHOPPER_NOUN[p.kind],
            f"for {_SHOPPER_PLACE.get(place, place.lower())}",
        ]
        if size and not named:
            words.append(f"about {_shopper_size(size)}")
        text = " ".join(w for w in words if w)

        def answers(q: SampleProduct, p=p, color=color, finish=finish, place=place, named=named) -> bool:
            return (
                q.kind == p.kind
                and color in _colors(q)
                and q.specs.get("Finish") == finish
                and place in _applications(q)
                and (
                    set(series_words(p)) <= set(_WORD.findall(q.name))
                    if named
                    else q.specs.get("ApproximateSize") == p.specs.get("ApproximateSize")
                )
            )

        questions.append(Question(text, "paraphrase", _matching(catalog, answers)))
    return questions


def _attribute_questions(catalog: Catalog, rng: random.Random, n: int) -> list[Question]:
    candidates = [
        p
        for p in catalog.products
        if p.kind in SURFACE_KINDS
        and _colors(p)
        and _applications(p)
        and p.specs.get("Finish")
        and p.specs.get("ApproximateSize", "").endswith(" in")
    ]
    questions = []
    for p in rng.sample(candidates, min(n, len(candidates))):
        finish, color, material = p.specs["Finish"], rng.choice(_colors(p)), p.specs["MaterialType"]
        application, size = rng.choice(_applications(p)), p.specs["ApproximateSize"]
        text = f"{finish} {color} {material} {application} tile {size.removesuffix(' in')}".lower()

        def answers(
            q: SampleProduct, finish=finish, color=color, material=material, application=application, size=size
        ) -> bool:
            return (
                q.kind in SURFACE_KINDS
                and q.specs.get("Finish") == finish
                and color in _colors(q)
                and q.specs.get("MaterialType") == material
                and application in _applications(q)
                and q.specs.get("ApproximateSize") == size
            )

        questions.append(Question(text, "attributes", _matching(catalog, answers)))
    return questions


def _category_questions(catalog: Catalog, rng: random.Random, n: int) -> list[Question]:
    grouts = [p for p in catalog.products if p.kind == "grout" and p.specs.get("MaterialType", "").endswith("Grout")]
    questions = [
        Question(
            "grout for rectified porcelain",
            "category",
            _matching(catalog, lambda q: q.kind == "grout" and "Grout" in q.specs.get("MaterialType", "")),
        )
    ]
    for p in rng.sample(grouts, min(n - 1, len(grouts))):
        material, color = p.specs["MaterialType"], p.specs.get("Color", "")
        text = f"{material.replace(' Cement', '').lower()} in {color.lower()}"
        questions.append(
            Question(
                text,
                "category",
                _matching(
                    catalog,
                    lambda q, m=material, c=color: (
                        q.kind == "grout"
                        and q.specs.get("MaterialType") == m  # type: ignore[misc]
                        and q.specs.get("Color") == c
                    ),
                ),
            )
        )
    return questions


def _price_questions(catalog: Catalog, rng: random.Random, n: int) -> list[Question]:
    priced = [p for p in catalog.products if p.kind in SURFACE_KINDS and p.price_per_sqft and _applications(p)]
    questions = []
    for p in rng.sample(priced, min(n, len(priced))):
        assert p.price_per_sqft is not None  # priced
        limit = int(p.price_per_sqft) + 1
        material, application = p.specs["MaterialType"], rng.choice(_applications(p))
        text = f"{material.lower()} tile under ${limit} per sq ft for a {application.lower()}"
        questions.append(
            Question(
                text,
                "price",
                _matching(
                    catalog,
                    lambda q, m=material, a=application, limit=limit: (
                        q.kind in SURFACE_KINDS  # type: ignore[misc]
                        and q.specs.get("MaterialType") == m
                        and a in _applications(q)
                        and q.price_per_sqft is not None
                        and q.price_per_sqft < limit
                    ),
                ),
            )
        )
    return questions


def build_questions(catalog: Catalog, seed: int = 7, per_kind: dict[str, int] | None = None) -> list[Question]:
    counts = {**PER_KIND, **(per_kind or {})}
    rng = random.Random(seed)
    builders = {
        "sku": _sku_questions,
        "name": _name_questions,
        "paraphrase": _paraphrase_questions,
        "attributes": _attribute_questions,
        "category": _category_questions,
        "price": _price_questions,
    }
    questions = [q for kind, build in builders.items() for q in build(catalog, rng, counts[kind])]
    return [q for q in questions if q.relevant]
