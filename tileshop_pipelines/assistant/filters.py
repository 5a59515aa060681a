"""Structured product filters: given explicitly (API parameters) or read from a shopper's question.

The filters themselves (`ProductFilters`) are the store's: they are SQL over the products table
(store.search). `parse_question` finds SKUs, price limits (per box, per sq. ft., or the selling unit's price),
and the colors, finishes, materials, applications and sizes the catalog actually contains (its
`Vocabulary`, read from the products table), so a question never filters on a value no product has.

The product *type* asked for ("thinset", "grout", "trim", "underlayment", "tool") is a category
filter. Words saying what the product is *for* ("thinset for porcelain", "trim that goes with
Linewood White") describe another product: they never filter this one's material, color or
finish, and are kept as `purpose` (the companion question's subject).
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
    purpose: str | None = None  # what the product asked for goes with ("large format porcelain")


# Words naming a kind of product (store.search.PRODUCT_TYPES), most specific first: "trim tile" is
# trim, "grout" beats the "tile" of "grout for glass tile".
PRODUCT_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("setting", r"thin-?set|mortars?|tile adhesives?|setting materials?"),
    ("grout", r"grouts?|caulks?"),
    ("underlayment", r"underlayments?"),
    (
        "trim",
        r"trims?|moldings?|mouldings?|bullnoses?|pencil liners?|quarter rounds?|stair ?noses?|reducers?"
        r"|t-moldings?|thresholds?|listellos?|skirting",
    ),
    ("tool", r"tools?|trowels?|spacers?|sponges?|tile saws?|levell?ing systems?"),
    ("flooring", r"lvt|luxury vinyl|vinyl plank|laminate flooring|laminate|wood flooring|planks?"),
    ("tile", r"tiles?|mosaics?|pavers?"),
)
_TYPE_PATTERNS = tuple((kind, re.compile(rf"\b(?:{words})\b")) for kind, words in PRODUCT_TYPE_WORDS)
# What follows these describes the product the asked-for one goes with.
_PURPOSE = re.compile(
    r"\b(?:goes with|go with|to go with|going with|that matches|to match|matching|"
    r"suited to|suitable for|for|with)\b"
)


def product_type(text: str) -> str | None:
    """The kind of product `text` asks for (its most specific type word), or None."""
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def split_purpose(text: str) -> tuple[str, str | None, str | None]:
    """(the subject, the type asked for, what it is for): "what thinset do i need for large format
    porcelain" -> ("what thinset do i need ", "setting", "large format porcelain"). Only a companion
    type or a tool has a purpose (not tile or flooring): "tile for a shower floor" is still tile."""
    for match in _PURPOSE.finditer(text):
        subject = text[: match.start()]
        kind = product_type(subject)
        if kind in ("setting", "grout", "underlayment", "trim", "tool"):
            purpose = text[match.end() :].strip(" ?.!,")
            return subject, kind, purpose or None
    return text, product_type(text), None


# "SKU 684287", or a bare 5-6 digit code with an optional letter suffix (684018E, 495660ss).
_SKU = re.compile(r"\b(?:sku\s*#?\s*)?(\d{5,6}[a-z]{0,2})\b", re.IGNORECASE)
_MONEY = r"\$?\s*(\d+(?:,\d{3})*(?:\.\d{1,2})?)\s*(?:dollars?|usd)?"
_BASIS = (
    r"(?:\s*(?:/|per|a|an|each)\s*"
    r"(?P<basis>box(?:es)?|sq\.?\s*ft\.?|square\s+f(?:oo|ee)t|sqft|ft2|piece|each|bag))?"
)
_MAX = re.compile(
    r"(?:under|below|less\s+than|cheaper\s+than|up\s+to|at\s+most|max(?:imum)?|no\s+more\s+than|<=?)\s*"
    + _MONEY
    + _BASIS,
    re.IGNORECASE,
)
_MIN = re.compile(r"(?:over|above|more\s+than|at\s+least|min(?:imum)?|from|>=?)\s*" + _MONEY + _BASIS, re.IGNORECASE)
_BETWEEN = re.compile(r"between\s*" + _MONEY + r"\s*(?:and|-|to)\s*" + _MONEY + _BASIS, re.IGNORECASE)
# A tile's size; "10 x 12 ft" or "3 x 4 m" is a room (quantities), not a size.
_SIZE = re.compile(
    r"\b(\d+(?:\.\d+)?)\s*(?:in(?:ch(?:es)?)?\.?|\"|'')?\s*(?:x|by|×)\s*(\d+(?:\.\d+)?)"
    r"(?!\d|\.\d|\s*(?:ft\b|feet\b|foot\b|m\b|meters?\b|metres?\b|'(?!')))\s*(?:in\b|inch|\"|'')?",
    re.IGNORECASE,
)


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
    subject, kind, purpose = split_purpose(text)
    if purpose is not None:
        size = None if size_match and size_match.start() >= len(subject) else size  # the other product's
    filters = ProductFilters(
        min_price=min_price,
        max_price=max_price,
        price_basis=basis,
        size=size,
        color=vocabulary.finders["colors"].find(subject),
        finish=vocabulary.finders["finishes"].find(subject),
        material=vocabulary.finders["materials"].find(subject),
        application=vocabulary.finders["applications"].find(subject),
        product_type=kind,
    )
    return ParsedQuestion(skus=skus, filters=filters, purpose=purpose)
