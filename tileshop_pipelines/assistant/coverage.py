"""The coverage a product's documents state for a job: grout by tile size and joint width, mortar by
trowel notch (or, given the tile size, by the notch the data sheet says that tile takes).

Read from the pages of the documents the product's page links now (store.document_search), parsed
by text/coverage.py. What the documents do not state is said, naming what they do state, never
filled in: no row for a 4 x 12 in tile means no quantity for it.
"""

from __future__ import annotations

from fractions import Fraction

import psycopg

from tileshop_pipelines.assistant.quantities import CoverageSource, DocumentCoverage, EstimateError, number
from tileshop_pipelines.store.document_search import product_document_pages
from tileshop_pipelines.text.coverage import Notch, amount, page_coverage, tile_sides


def _source(page: dict, what: str, statement: str) -> CoverageSource:
    return CoverageSource(
        what=what,
        document=page["title"],
        url=page["url"],
        page=page["page_number"],
        source=f"{page['url']}#page={page['page_number']}",
        statement=statement,
    )


def inches(value: float) -> str:
    """0.125 -> '1/8', 12.0 -> '12': inches as data sheets print them."""
    fraction = Fraction(value).limit_denominator(64)
    exact = float(fraction) == value and fraction.denominator in (1, 2, 4, 8, 16, 32, 64)
    return str(fraction) if exact else number(value)


def _listing(values: list[str]) -> str:
    values = list(dict.fromkeys(values))
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" and {values[-1]}"


def _sides(tile_size: str | None) -> tuple[float, float] | None:
    if not tile_size:
        return None
    sides = tile_sides(tile_size)
    if sides is None:
        raise EstimateError(f"not a tile size: {tile_size[:40]!r} (give it as width x length, e.g. 12 x 24)")
    return sides


def _joint(joint_width: str | None) -> float | None:
    if not joint_width:
        return None
    try:
        return amount(joint_width.lower().replace("inch", "").replace("in", "").replace('"', "").split()[0])
    except (ValueError, ZeroDivisionError, IndexError):
        raise EstimateError(f"not a joint width: {joint_width[:40]!r} (give it in inches, e.g. 1/8)") from None


def document_coverage(
    conn: psycopg.Connection,
    product_key: str,
    *,
    tile_size: str | None = None,
    joint_width: str | None = None,
    trowel_notch: str | None = None,
) -> DocumentCoverage | None:
    """The coverage the product's documents state for this job; None when they state no grout or
    mortar coverage at all. EstimateError, saying what they state, when they do but not for it."""
    pages = [(page, page_coverage(page["text"])) for page in product_document_pages(conn, [product_key])]
    grout = [(page, row) for page, found in pages for row in found.grout]
    mortar = [(page, row) for page, found in pages for row in found.mortar]
    if grout:
        return _grout(grout, _sides(tile_size), _joint(joint_width))
    if mortar:
        trowels = [(page, row) for page, found in pages for row in found.trowels]
        return _mortar(mortar, trowels, _sides(tile_size), trowel_notch)
    return None


def _grout(rows: list, sides: tuple[float, float] | None, joint: float | None) -> DocumentCoverage:
    page, first = rows[0]
    stated = (
        f"its data sheet ({page['title']}, page {page['page_number']}) states grout for "
        f"{_listing([row.tile for _, row in rows])} tile with {_listing([row.joint for _, row in rows])} joints"
    )
    if sides is None or joint is None:
        raise EstimateError(f"grout coverage depends on the tile size and the joint width: give both; {stated}")
    found = [(p, row) for p, row in rows if row.sides == sides and abs(row.joint_in - joint) < 1e-9]
    if not found:
        raise EstimateError(
            f"no document of this product states grout coverage for {inches(sides[0])} x "
            f"{inches(sides[1])} in tile with {inches(joint)} in joints; {stated}"
        )
    page, row = found[0]
    return DocumentCoverage(
        material="grout",
        basis=row.basis,
        value=row.value,
        high=None,
        unit=row.unit,
        condition=f"for {row.tile} tile with {row.joint} joints",
        sources=(_source(page, "grout coverage", row.line),),
    )


def _mortar(rows: list, trowels: list, sides: tuple[float, float] | None, trowel_notch: str | None) -> DocumentCoverage:
    page, _ = rows[0]
    stated = (
        f"its data sheet ({page['title']}, page {page['page_number']}) states coverage for the "
        f"{_listing([row.notch for _, row in rows])}"
    )
    sources = []
    if trowel_notch:
        wanted = Notch.parse(trowel_notch)
        if wanted is None:
            raise EstimateError(f"not a trowel notch: {trowel_notch[:40]!r} (give it as e.g. 1/2 x 1/2 in square)")
    elif sides is not None:
        fitting = [(p, t) for p, t in trowels if t.fits(sides)]
        if not fitting:
            raise EstimateError(
                f"no document of this product says which trowel notch a {inches(sides[0])} x "
                f"{inches(sides[1])} in tile takes; give the notch: {stated}"
            )
        trowel_page, trowel = fitting[0]
        wanted = Notch.parse(trowel.notch)
        sources.append(_source(trowel_page, "trowel notch", trowel.line))
    else:
        raise EstimateError(f"mortar coverage depends on the trowel notch: give the notch or the tile size; {stated}")
    found = [(p, row) for p, row in rows if row.parsed_notch.matches(wanted)]
    if not found:
        raise EstimateError(f"no document of this product states coverage for a {trowel_notch} notch; {stated}")
    page, row = found[0]
    sources.append(_source(page, "mortar coverage", row.line))
    return DocumentCoverage(
        material="mortar",
        basis="sq ft per unit",
        value=row.low,
        high=row.high,
        unit=row.unit,
        condition=f"with a {row.notch}",
        sources=tuple(sources),
    )
