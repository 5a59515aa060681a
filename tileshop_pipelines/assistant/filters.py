"""Structured product filters: given explicitly (API parameters) or read from a shopper's question.

The filters themselves (`ProductFilters`) are the store's: they are SQL over the products table
(store.search). `parse_question` finds SKUs, price limits (per box, per sq. ft., or the selling unit's price),
and the colors, finishes, materials, applications and sizes the catalog actually contains (its
`Vocabulary`, read from the products table), so a question never filters on a value no product has.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from tileshop_pipelines.store.search import ProductFilters

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
