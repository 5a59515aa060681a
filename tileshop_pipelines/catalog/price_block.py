"""The price block in a product page's visible text: the unit written next to the offer price
(``$77.11/box``), the ``/Sq. Ft.`` (and ``/box``) price shown in the same block, and coverage
(``10.76 sq. ft. per Box``). Nothing else is read from the visible text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tileshop_pipelines.catalog.record import (
    AMOUNT_PATTERN,
    MAX_COVERAGE_SQFT,
    MAX_PRICE,
    PER_BOX_PATTERN,
    SQFT_PATTERN,
    parse_amount,
)

# "$77.11/box", "$ 12.99 / Sq. Ft.", "$35.99 per each"; the amount and unit may sit in separate spans.
# Both run on lowercased visible text; patterns led by a literal keep the scan fast.
_UNIT_PRICE = re.compile(rf"\$\s*({AMOUNT_PATTERN})\s*(?:/|\bper\b)\s*({SQFT_PATTERN}|[a-z]+)")
_DOLLAR_AMOUNT = re.compile(rf"\$\s*({AMOUNT_PATTERN})")
# "10.76 sq. ft. per box": the unit phrase is found first, then the amount right before it.
_COVERAGE_UNIT = re.compile(SQFT_PATTERN + PER_BOX_PATTERN)
_AMOUNT_BEFORE = re.compile(rf"(?<![\d,.])({AMOUNT_PATTERN})\s*$")
_UNIT_NAMES = {"ea": "each", "each": "each", "pc": "each", "pcs": "each", "piece": "each", "box": "box", "bag": "bag"}
# How far (in characters of visible text) from the offer price a /Sq. Ft. price or a coverage
# figure may sit and still count as the same price block.
_PRICE_BLOCK_REACH = 200


@dataclass
class PriceBlock:
    unit: str | None = None  # the unit written next to the offer price
    unit_prices: dict[str, float] = field(default_factory=dict)  # unit -> nearest amount in the block
    coverage: float | None = None
    refused: list[str] = field(default_factory=list)  # shown amounts out of range, as warnings


def price_block(visible_text: str, price: float | None, search_from: int) -> PriceBlock:
    """The unit of the offer price, plus the unit prices and coverage shown within reach of it.

    The price block is where the visible text shows the JSON-LD offer price (with a unit if one
    is written, else the bare "$amount"), looked for from the product heading on, then anywhere:
    a promo banner's "$1.99/Sq. Ft." before the product cannot be taken. Without the offer price
    on the page there is no price block and none of these values is stated.
    """
    if price is None:
        return PriceBlock()
    unit_prices = [
        (match.start(), parse_amount(match.group(1)), _unit_name(match.group(2)))
        for match in _UNIT_PRICE.finditer(visible_text)
    ]
    anchor = _first_offer_price(unit_prices, price, search_from)
    if anchor is None:
        bare_prices = [(match.start(), parse_amount(match.group(1)), None) for match in _DOLLAR_AMOUNT.finditer(visible_text)]
        anchor = _first_offer_price(bare_prices, price, search_from)
    if anchor is None:
        return PriceBlock()

    position, _, unit = anchor
    nearby: dict[str, float] = {}
    for item_position, amount, item_unit in sorted(unit_prices, key=lambda item: abs(item[0] - position)):
        if abs(item_position - position) <= _PRICE_BLOCK_REACH:
            nearby.setdefault(item_unit, amount)
    coverages = []
    for match in _COVERAGE_UNIT.finditer(visible_text):
        amount = _AMOUNT_BEFORE.search(visible_text, max(match.start() - 24, 0), match.start())
        if amount and abs(amount.start() - position) <= _PRICE_BLOCK_REACH:
            coverages.append((abs(amount.start() - position), parse_amount(amount.group(1))))
    coverage = min(coverages)[1] if coverages else None
    refused = [f"invalid_price: the {unit} price shown, {amount:.6g}, is over {MAX_PRICE:,.0f}; refused"
               for unit, amount in nearby.items() if not amount <= MAX_PRICE]
    if coverage is not None and not coverage <= MAX_COVERAGE_SQFT:
        refused.append(f"invalid_coverage: {coverage:.6g} sq. ft. per box is over {MAX_COVERAGE_SQFT:,.0f}; refused")
        coverage = None
    nearby = {unit: amount for unit, amount in nearby.items() if amount <= MAX_PRICE}
    return PriceBlock(unit=unit, unit_prices=nearby, coverage=coverage, refused=refused)


def _first_offer_price(shown: list[tuple], price: float, search_from: int) -> tuple | None:
    """The first shown (position, amount, unit) equal to the price: after the heading, else anywhere."""
    matches = [item for item in shown if abs(item[1] - price) < 0.005]
    after_heading = [item for item in matches if item[0] >= search_from]
    return (after_heading or matches or [None])[0]


def _unit_name(text: str) -> str:
    word = "".join(text.split()).replace(".", "")
    if word in ("sqft", "squarefoot", "squarefeet"):
        return "sqft"
    return _UNIT_NAMES.get(word, word)
