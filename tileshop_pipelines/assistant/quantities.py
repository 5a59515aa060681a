"""How much to buy: an area (or a room's length and width) plus waste, over the coverage a product's
record states, rounded up to whole selling units, with every step written out for the shopper.

Plain arithmetic on stated facts: a record that states no coverage gets no quantity (never a guess).
Money is Decimal, so 23 x $77.11 is $1,773.53 exactly.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

LENGTH_UNITS = {"ft": 1.0, "in": 1 / 12, "m": 3.280839895}  # feet per unit
UNIT_WORDS = {"ft": "ft", "in": "in", "m": "m"}
MAX_AREA_SQFT = 100_000.0
DEFAULT_WASTE_PCT = 10.0
PATTERN_WASTE_PCT = 15.0
_PATTERN_WORDS = re.compile(r"\b(herringbone|chevron|diagonal)\b", re.IGNORECASE)
NO_COVERAGE = "the catalog does not state coverage for this product"


class EstimateError(ValueError):
    """A quantity that cannot be computed; the message is for the shopper."""


def money(value: Decimal | float) -> str:
    return f"${Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def number(value: float) -> str:
    """12.0 -> "12", 22.2222 -> "22.22"."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text or "0"


def default_waste(record: dict) -> tuple[float, str]:
    """The waste allowance when the shopper gives none, and why."""
    if _PATTERN_WORDS.search(record.get("name") or ""):
        return PATTERN_WASTE_PCT, "a herringbone, chevron or diagonal lay cuts more tile"
    return DEFAULT_WASTE_PCT, "the usual allowance for cuts and breakage in a straight lay"


def area_sqft(*, area: float | None, length: float | None, width: float | None, unit: str) -> tuple[float, str]:
    """The area in sq. ft. and the line that shows it. `area` is in square `unit`s."""
    if unit not in LENGTH_UNITS:
        raise EstimateError(f"unknown unit {unit!r}: use ft, in or m")
    feet = LENGTH_UNITS[unit]
    if area is not None:
        if length is not None or width is not None:
            raise EstimateError("give either an area or a length and a width, not both")
        if not area > 0:
            raise EstimateError(f"the area must be more than 0, got {number(area) if math.isfinite(area) else area}")
        sqft = area * feet * feet
        line = (f"Area: {number(sqft)} sq. ft." if unit == "ft"
                else f"Area: {number(area)} sq. {unit} = {number(sqft)} sq. ft.")
    else:
        if length is None or width is None:
            raise EstimateError("give an area, or a length and a width")
        for name, value in (("length", length), ("width", width)):
            if not value > 0:
                raise EstimateError(f"the {name} must be more than 0, got {value}")
        sqft = length * feet * width * feet
        line = f"Area: {number(length)} {unit} x {number(width)} {unit} = {number(sqft)} sq. ft."
    if not math.isfinite(sqft) or sqft > MAX_AREA_SQFT:
        raise EstimateError(f"an area of {number(sqft) if math.isfinite(sqft) else sqft} sq. ft. is more than "
                            f"{number(MAX_AREA_SQFT)} sq. ft.; check the numbers and units")
    return sqft, line


class Quantity(BaseModel):
    """What the record's coverage and price give for an area (results.Estimate adds the product)."""

    unit: str = Field(description="box or sq. ft.")
    units: int
    area_sqft: float
    waste_pct: float
    waste_reason: str
    area_with_waste_sqft: float
    coverage_per_unit: float
    unit_price: float | None
    total: float | None
    arithmetic: list[str]


def quantity(record: dict, sqft: float, area_line: str, waste_pct: float | None) -> Quantity:
    """Selling units and cost for `sqft` of the product whose record is `record`."""
    if waste_pct is None:
        waste_pct, reason = default_waste(record)
        reason = f"{number(waste_pct)}% waste by default: {reason}"
    else:
        if not 0 <= waste_pct <= 100:
            raise EstimateError(f"waste must be between 0% and 100%, got {number(waste_pct)}%")
        reason = f"{number(waste_pct)}% waste, as given"
    unit_label, coverage = _selling_unit(record)
    with_waste = round(sqft * (1 + waste_pct / 100), 4)
    lines = [area_line, f"Waste: {number(sqft)} sq. ft. + {number(waste_pct)}% = {number(with_waste)} sq. ft."]
    if unit_label == "box":
        raw = with_waste / coverage
        units = math.ceil(round(raw, 6))  # 22.000000001 from float error is 22 boxes
        lines += [f"Coverage: {number(coverage)} sq. ft. per box",
                  f"Boxes: {number(with_waste)} / {number(coverage)} = {raw:.2f}, rounded up to {units}"]
        price = record.get("price_per_box") if record.get("price_per_box") is not None else record.get("price")
    else:  # sold by the sq. ft.
        units = math.ceil(round(with_waste, 6))
        lines.append(f"Sold by the sq. ft.: {number(with_waste)} rounded up to {units} sq. ft.")
        price = record.get("price")
    total = None
    if price is not None:
        total_dec = Decimal(units) * Decimal(str(price))
        total = float(total_dec)
        per = "box" if unit_label == "box" else "sq. ft."
        lines.append(f"Total: {units} x {money(price)} per {per} = {money(total_dec)}")
    else:
        lines.append("Total: the catalog states no price for this product")
    return Quantity(unit=unit_label, units=units, area_sqft=round(sqft, 4), waste_pct=waste_pct, waste_reason=reason,
                    area_with_waste_sqft=with_waste, coverage_per_unit=coverage,
                    unit_price=float(price) if price is not None else None, total=total, arithmetic=lines)


def _selling_unit(record: dict) -> tuple[str, float]:
    unit = record.get("price_unit")
    coverage = record.get("coverage_sqft_per_box")
    if unit == "sqft":
        return "sq. ft.", 1.0
    if coverage and coverage > 0 and unit in ("box", None):
        return "box", float(coverage)
    raise EstimateError(NO_COVERAGE)
