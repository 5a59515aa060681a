"""How much to buy: an area (or a room's length and width) plus waste, over the coverage a product's
record states (tile: sq. ft. per box), or the coverage its data sheet states (grout: pounds per
100 sq. ft. by tile size and joint width; mortar: sq. ft. per bag by trowel notch), rounded up to
whole selling units, with every step written out for the shopper and each figure from a document
cited (document, page and the row as printed).

Plain arithmetic on stated facts: a product whose record and documents state no coverage gets no
quantity (never a guess); a coverage range is taken at its low end, so the bags do not run short.
Money is Decimal, so 23 x $77.11 is $1,773.53 exactly.
"""

from __future__ import annotations

import dataclasses
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from tileshop_pipelines.text.coverage import unit_pounds

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
        line = (
            f"Area: {number(sqft)} sq. ft."
            if unit == "ft"
            else f"Area: {number(area)} sq. {unit} = {number(sqft)} sq. ft."
        )
    else:
        if length is None or width is None:
            raise EstimateError("give an area, or a length and a width")
        for name, value in (("length", length), ("width", width)):
            if not value > 0:
                raise EstimateError(f"the {name} must be more than 0, got {value}")
        sqft = length * feet * width * feet
        line = f"Area: {number(length)} {unit} x {number(width)} {unit} = {number(sqft)} sq. ft."
    if not math.isfinite(sqft) or sqft > MAX_AREA_SQFT:
        raise EstimateError(
            f"an area of {number(sqft) if math.isfinite(sqft) else sqft} sq. ft. is more than "
            f"{number(MAX_AREA_SQFT)} sq. ft.; check the numbers and units"
        )
    return sqft, line


class CoverageSource(BaseModel):
    """A figure a document states, where: the row as printed, its document and page."""

    what: str = Field(description="grout coverage, mortar coverage or trowel notch")
    document: str
    url: str
    page: int
    source: str = Field(description="the document's address at the page (#page=N)")
    statement: str = Field(description="the table row as the document prints it")


@dataclasses.dataclass(frozen=True)
class DocumentCoverage:
    """The coverage a product's data sheet states for the shopper's job (assistant/coverage.py)."""

    material: str  # grout | mortar
    basis: str  # 'lb per 100 sq ft' | 'sq ft per unit'
    value: float  # lb per 100 sq. ft., or sq. ft. per unit (a range's low end)
    high: float | None  # a range's high end
    unit: str | None  # the document's unit for 'sq ft per unit': '50 lb bag', '9 lb pail'
    condition: str  # 'for 4 x 12 x 3/8 in tile with 1/8 in joints', 'with a 1/2 x 1/2 in square notch'
    sources: tuple[CoverageSource, ...]  # the trowel row first when the notch came from the tile size


class Quantity(BaseModel):
    """What the record's (or a data sheet's) coverage and price give for an area (results.Estimate
    adds the product)."""

    unit: str = Field(description="box, sq. ft., bag or pail")
    units: int
    area_sqft: float
    waste_pct: float
    waste_reason: str
    area_with_waste_sqft: float
    coverage_per_unit: float
    unit_price: float | None
    total: float | None
    arithmetic: list[str]
    coverage_sources: list[CoverageSource] = Field(
        default_factory=list, description="the documents the coverage comes from, when not the product page"
    )


def _waste(record: dict, sqft: float, waste_pct: float | None) -> tuple[float, str, float, str]:
    """(waste %, its reason, the area with waste, the line showing it)."""
    if waste_pct is None:
        waste_pct, reason = default_waste(record)
        reason = f"{number(waste_pct)}% waste by default: {reason}"
    else:
        if not 0 <= waste_pct <= 100:
            raise EstimateError(f"waste must be between 0% and 100%, got {number(waste_pct)}%")
        reason = f"{number(waste_pct)}% waste, as given"
    with_waste = round(sqft * (1 + waste_pct / 100), 4)
    return (
        waste_pct,
        reason,
        with_waste,
        f"Waste: {number(sqft)} sq. ft. + {number(waste_pct)}% = {number(with_waste)} sq. ft.",
    )


def _total(units: int, price, per: str) -> tuple[float | None, str]:
    if price is None:
        return None, "Total: the catalog states no price for this product"
    total = Decimal(units) * Decimal(str(price))
    return float(total), f"Total: {units} x {money(price)} per {per} = {money(total)}"


def quantity(record: dict, sqft: float, area_line: str, waste_pct: float | None) -> Quantity:
    """Selling units and cost for `sqft` of the product whose record is `record`."""
    waste_pct, reason, with_waste, waste_line = _waste(record, sqft, waste_pct)
    unit_label, coverage = _selling_unit(record)
    lines = [area_line, waste_line]
    if unit_label == "box":
        raw = with_waste / coverage
        units = math.ceil(round(raw, 6))  # 22.000000001 from float error is 22 boxes
        lines += [
            f"Coverage: {number(coverage)} sq. ft. per box",
            f"Boxes: {number(with_waste)} / {number(coverage)} = {raw:.2f}, rounded up to {units}",
        ]
        price = record.get("price_per_box") if record.get("price_per_box") is not None else record.get("price")
    else:  # sold by the sq. ft.
        units = math.ceil(round(with_waste, 6))
        lines.append(f"Sold by the sq. ft.: {number(with_waste)} rounded up to {units} sq. ft.")
        price = record.get("price")
    total, total_line = _total(units, price, "box" if unit_label == "box" else "sq. ft.")
    lines.append(total_line)
    return Quantity(
        unit=unit_label,
        units=units,
        area_sqft=round(sqft, 4),
        waste_pct=waste_pct,
        waste_reason=reason,
        area_with_waste_sqft=with_waste,
        coverage_per_unit=coverage,
        unit_price=float(price) if price is not None else None,
        total=total,
        arithmetic=lines,
    )


def _selling_unit(record: dict) -> tuple[str, float]:
    unit = record.get("price_unit")
    coverage = record.get("coverage_sqft_per_box")
    if unit == "sqft":
        return "sq. ft.", 1.0
    if coverage and coverage > 0 and unit in ("box", None):
        return "box", float(coverage)
    raise EstimateError(NO_COVERAGE)


def _cited(source: CoverageSource) -> str:
    return f'{source.document}, page {source.page}: "{source.statement}"'


def document_quantity(
    record: dict, sqft: float, area_line: str, waste_pct: float | None, coverage: DocumentCoverage
) -> Quantity:
    """Selling units and cost for `sqft` of a grout or mortar from the coverage its data sheet
    states. The product's weight (its name's "25 lb") turns pounds into bags, and scales a per-bag
    coverage stated for another bag size; a weight the catalog does not state is said, not guessed."""
    waste_pct, reason, with_waste, waste_line = _waste(record, sqft, waste_pct)
    lines = [area_line, waste_line]
    *trowel, row = coverage.sources
    if trowel:
        lines.append(f"Trowel: {coverage.condition.removeprefix('with ')} ({_cited(trowel[0])})")
    product_lb = unit_pounds(record.get("name"))
    unit_word = (coverage.unit or "").split()[-1] if coverage.unit and record.get("price_unit") != "bag" else "bag"
    if coverage.basis == "lb per 100 sq ft":
        lines.append(
            f"Coverage: {number(coverage.value)} lb of grout per 100 sq. ft. {coverage.condition} ({_cited(row)})"
        )
        pounds = round(with_waste * coverage.value / 100, 4)
        lines.append(
            f"Grout: {number(with_waste)} sq. ft. x {number(coverage.value)} lb / 100 sq. ft. = {number(pounds)} lb"
        )
        if not product_lb:
            raise EstimateError(
                f"that is {number(pounds)} lb of grout, but the catalog does not state how much one "
                f"{unit_word} of this product holds"
            )
        per_unit = product_lb / coverage.value * 100
        raw = pounds / product_lb
        units = math.ceil(round(raw, 6))
        lines.append(
            f"{unit_word.capitalize()}s: {number(pounds)} lb / {number(product_lb)} lb per {unit_word} = {raw:.2f}, "
            f"rounded up to {units}"
        )
    else:
        stated = number(coverage.value) + (f" to {number(coverage.high)}" if coverage.high is not None else "")
        line = f"Coverage: {stated} sq. ft. per {coverage.unit} {coverage.condition} ({_cited(row)})"
        if coverage.high is not None:
            line += "; the low end is used, so the material does not run short"
        lines.append(line)
        per_unit = coverage.value
        sheet_lb = unit_pounds(coverage.unit)
        if sheet_lb and not product_lb:
            raise EstimateError(
                f"its data sheet states coverage per {coverage.unit}, but the catalog does not state "
                "the weight of this product"
            )
        if sheet_lb and product_lb and product_lb != sheet_lb:  # (product_lb: stated, as checked above)
            per_unit = coverage.value * product_lb / sheet_lb
            lines.append(
                f"Per {number(product_lb)} lb {unit_word}: {number(coverage.value)} sq. ft. x {number(product_lb)} lb"
                f" / {number(sheet_lb)} lb = {number(per_unit)} sq. ft."
            )
        raw = with_waste / per_unit
        units = math.ceil(round(raw, 6))
        lines.append(
            f"{unit_word.capitalize()}s: {number(with_waste)} sq. ft. / {number(per_unit)} sq. ft. per {unit_word} "
            f"= {raw:.2f}, rounded up to {units}"
        )
    price = record.get("price")
    total, total_line = _total(units, price, unit_word)
    lines.append(total_line)
    return Quantity(
        unit=unit_word,
        units=units,
        area_sqft=round(sqft, 4),
        waste_pct=waste_pct,
        waste_reason=reason,
        area_with_waste_sqft=with_waste,
        coverage_per_unit=round(per_unit, 4),
        unit_price=float(price) if price is not None else None,
        total=total,
        arithmetic=lines,
        coverage_sources=list(coverage.sources),
    )
