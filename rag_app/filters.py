"""Structured product filters: given explicitly (API parameters) or read from a shopper's question.

`parse_question` finds SKUs, price limits (per box, per sq. ft., or the selling unit's price),
and the colors, finishes, materials, applications and sizes the catalog actually contains (its
`Vocabulary`, read from the products table), so a question never filters on a value no product has.
"""

from __future__ import annotations

import dataclasses
import functools
import re

PRICE_BASES = ("box", "sqft", "unit")  # unit: the selling unit's price, whatever it is
PRICE_UNITS = ("box", "sqft", "each", "bag")


@dataclasses.dataclass(frozen=True)
class ProductFilters:
    min_price: float | None = None
    max_price: float | None = None
    price_basis: str = "unit"  # which price the limits apply to: box | sqft | unit
    price_unit: str | None = None  # the selling unit (box, sqft, each, bag)
    color: str | None = None
    finish: str | None = None
    material: str | None = None
    application: str | None = None
    size: str | None = None

    def __post_init__(self) -> None:
        if self.price_basis not in PRICE_BASES:
            raise ValueError(f"price_basis must be one of {PRICE_BASES}, got {self.price_basis!r}")
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) exceeds max_price ({self.max_price})")

    def active(self) -> dict:
        """The filters that are set (price_basis only alongside a price limit)."""
        data = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        if self.min_price is None and self.max_price is None:
            data.pop("price_basis")
        return data

    def __bool__(self) -> bool:
        return bool(self.active())

    def merged(self, other: ProductFilters) -> ProductFilters:
        """These filters, with `other`'s set values taking precedence."""
        mine = dataclasses.asdict(self)
        theirs = other.active()
        return ProductFilters(**{**mine, **theirs})


class TermFinder:
    """Finds the longest of `terms` (lower-cased -> as stored) present in a text as whole words,
    plural 's' allowed; among equally long terms, the first in `terms`' order.

    One compiled pattern for all terms: at every word start, a lookahead tries the terms longest
    first, so each position reports its longest term; the answer is the best over all positions.
    (A pattern per term, searched in turn, cost ~0.5 ms per question over the catalog's ~130 terms,
    more than the rest of the parsing together.)"""

    def __init__(self, terms: dict[str, str]):
        self.terms = terms
        self._ordered = sorted(terms, key=len, reverse=True)
        self._rank = {term: i for i, term in enumerate(self._ordered)}
        alternation = "|".join(re.escape(term) for term in self._ordered)
        self._pattern = re.compile(rf"(?<![a-z0-9])(?=({alternation})s?(?![a-z0-9]))") if terms else None

    def find(self, text: str) -> str | None:
        if self._pattern is None:
            return None
        found = [m.group(1) for m in self._pattern.finditer(text)]
        return self.terms[min(found, key=self._rank.__getitem__)] if found else None


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The filterable values present in the catalog, lower-cased -> as stored."""

    colors: dict[str, str]
    finishes: dict[str, str]
    materials: dict[str, str]
    applications: dict[str, str]

    @functools.cached_property
    def finders(self) -> dict[str, TermFinder]:
        return {kind: TermFinder(getattr(self, kind)) for kind in ("colors", "finishes", "materials", "applications")}


@dataclasses.dataclass(frozen=True)
class ParsedQuestion:
    skus: tuple[str, ...]
    filters: ProductFilters


# "SKU 684287", or a bare 5-6 digit code with an optional letter suffix (684018E, 495660ss).
_SKU = re.compile(r"\b(?:sku\s*#?\s*)?(\d{5,6}[a-z]{0,2})\b", re.IGNORECASE)
_MONEY = r"\$?\s*(\d+(?:,\d{3})*(?:\.\d{1,2})?)\s*(?:dollars?|usd)?"
_BASIS = (r"(?:\s*(?:/|per|a|an|each)\s*"
          r"(?P<basis>box(?:es)?|sq\.?\s*ft\.?|square\s+f(?:oo|ee)t|sqft|ft2|piece|each|bag))?")
_MAX = re.compile(r"(?:under|below|less\s+than|cheaper\s+than|up\s+to|at\s+most|max(?:imum)?|no\s+more\s+than|<=?)\s*"
                  + _MONEY + _BASIS, re.IGNORECASE)
_MIN = re.compile(r"(?:over|above|more\s+than|at\s+least|min(?:imum)?|from|>=?)\s*" + _MONEY + _BASIS,
                  re.IGNORECASE)
_BETWEEN = re.compile(r"between\s*" + _MONEY + r"\s*(?:and|-|to)\s*" + _MONEY + _BASIS, re.IGNORECASE)
_SIZE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:in(?:ch(?:es)?)?\.?|\"|'')?\s*(?:x|by|×)\s*(\d+(?:\.\d+)?)\s*(?:in\b|inch|\"|'')?",
                   re.IGNORECASE)


def _basis(raw: str | None) -> str:
    if not raw:
        return "unit"
    raw = raw.lower()
    if raw.startswith("box"):
        return "box"
    if raw in ("piece", "each", "bag"):
        return "unit"
    return "sqft"


def _amount(raw: str) -> float:
    return float(raw.replace(",", ""))


def parse_question(question: str, vocabulary: Vocabulary) -> ParsedQuestion:
    text = question.lower()
    size_match = _SIZE.search(text)
    size = f"{size_match.group(1)} x {size_match.group(2)}" if size_match else None
    # Prices and sizes first, then SKUs among the remaining words (a price of 125000 is not a SKU).
    masked = _SIZE.sub(" ", text)
    min_price = max_price = None
    basis = "unit"
    if m := _BETWEEN.search(masked):
        min_price, max_price, basis = _amount(m.group(1)), _amount(m.group(2)), _basis(m.group("basis"))
        masked = masked.replace(m.group(0), " ")
    else:
        if m := _MAX.search(masked):
            max_price, basis = _amount(m.group(1)), _basis(m.group("basis"))
            masked = masked.replace(m.group(0), " ")
        if m := _MIN.search(masked):
            min_price = _amount(m.group(1))
            basis = _basis(m.group("basis")) if m.group("basis") else basis
            masked = masked.replace(m.group(0), " ")
    masked = re.sub(r"\$\s*\d[\d,.]*", " ", masked)
    skus = tuple(dict.fromkeys(m.group(1) for m in _SKU.finditer(masked)))
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
    filters = ProductFilters(
        min_price=min_price, max_price=max_price, price_basis=basis, size=size,
        color=vocabulary.finders["colors"].find(text),
        finish=vocabulary.finders["finishes"].find(text),
        material=vocabulary.finders["materials"].find(text),
        application=vocabulary.finders["applications"].find(text),
    )
    return ParsedQuestion(skus=skus, filters=filters)
