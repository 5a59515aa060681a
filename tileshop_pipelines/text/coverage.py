"""Coverage a data sheet states, read from a page's text: grout by tile size and joint width, mortar
by trowel notch, and the trowel notch a data sheet gives for a tile size.

Data sheets print these as tables, which a PDF's text gives back one row per line:

    Tile size 1/8 in joint 3/16 in joint 1/4 in joint          <- grout: the joints are the columns
    4 x 12 x 3/8 in 15 22 30                                      (pounds per 100 sq ft, or sq ft per
                                                                   pail, as the paragraph above says)
    Trowel notch Coverage per 50 lb bag                         <- mortar: sq ft per unit, a range
    1/2 x 1/2 in square notch 40 to 45 sq ft
    Tile size Trowel notch                                      <- which notch for which tiles
    12 x 24 in and 24 x 24 in 1/2 x 1/2 in square notch

Only what a page states is returned, each statement with its line as printed (the quote an answer
cites); nothing is interpolated between rows.
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

_NUMBER = r"\d+(?:\.\d+)?(?:/\d+)?"
_NOTCH = rf"(?:{_NUMBER} x )?{_NUMBER} in (?:square |U-|V-|loop )?notch"
_GROUT_HEADER = re.compile(rf"^Tile size((?:\s+{_NUMBER} in joint)+)$", re.IGNORECASE)
_GROUT_ROW = re.compile(rf"^({_NUMBER} x {_NUMBER}(?: x {_NUMBER})? in)((?:\s+[\d,]+(?:\.\d+)?)+)$")
_LB_PER_100 = re.compile(r"pounds of grout per 100 sq\.? ?ft", re.IGNORECASE)
_SQFT_PER_UNIT = re.compile(
    r"square feet covered per ((?:\d+(?:\.\d+)? )?[a-z][a-z .]*?)(?:,| by |\.|$)", re.IGNORECASE
)
_MORTAR_HEADER = re.compile(r"^Trowel notch\s+Coverage per (.+)$", re.IGNORECASE)
_MORTAR_ROW = re.compile(rf"^({_NOTCH})\s+([\d,]+(?:\.\d+)?)(?:\s+to\s+([\d,]+(?:\.\d+)?))?\s+sq\.? ?ft$")
_TROWEL_HEADER = re.compile(r"^Tile size\s+Trowel notch$", re.IGNORECASE)
_TROWEL_ROW = re.compile(rf"^(.+?)\s+({_NOTCH})$")
_SIZE = re.compile(rf"({_NUMBER})\s*(?:in\.?|\"|inch(?:es)?)?\s*(?:x|by|×)\s*({_NUMBER})", re.IGNORECASE)
_SHAPE = re.compile(r"\b(square|u|v|loop)\b", re.IGNORECASE)


def amount(text: str) -> float:
    """'1/8' -> 0.125, '1,200' -> 1200.0, '7.4' -> 7.4."""
    text = text.replace(",", "").strip()
    return float(Fraction(text)) if "/" in text else float(text)


def tile_sides(text: str) -> tuple[float, float] | None:
    """The two sides of the first 'A x B' in a text, smaller first ('12 x 4 in' -> (4.0, 12.0))."""
    found = _SIZE.search(text or "")
    if not found:
        return None
    a, b = amount(found.group(1)), amount(found.group(2))
    return (min(a, b), max(a, b))


@dataclasses.dataclass(frozen=True)
class Notch:
    sizes: tuple[float, ...]  # 1/2 x 1/2 -> (0.5, 0.5); 3/4 (loop) -> (0.75,)
    shape: str | None  # square, u, v, loop

    @classmethod
    def parse(cls, text: str) -> Notch | None:
        """A notch as a data sheet ('1/2 x 1/2 in square notch') or a shopper ('1/2 inch square') writes it."""
        text = (text or "").lower()
        numbers = re.findall(_NUMBER, text.split("notch")[0])
        if not numbers:
            return None
        shape = _SHAPE.search(text)
        return cls(tuple(amount(n) for n in numbers[:2]), shape.group(1).lower() if shape else None)

    def matches(self, wanted: Notch) -> bool:
        """The wanted notch (perhaps given with one size and no shape) is this one."""
        if wanted.shape and self.shape and wanted.shape != self.shape:
            return False
        return self.sizes[: len(wanted.sizes)] == wanted.sizes


@dataclasses.dataclass(frozen=True)
class GroutCoverage:
    tile: str  # as printed: '4 x 12 x 3/8 in'
    joint: str  # as printed: '1/8 in'
    value: float
    basis: str  # 'lb per 100 sq ft', or 'sq ft per unit'
    unit: str | None  # for 'sq ft per unit': what the unit is ('9 lb pail')
    line: str  # the table row
    header: str  # the table's header row

    @property
    def sides(self) -> tuple[float, float]:
        sides = tile_sides(self.tile)
        if sides is None:  # the table's rows are read only where they name a size
            raise ValueError(f"grout coverage row with no tile size: {self.tile!r}")
        return sides

    @property
    def joint_in(self) -> float:
        return amount(self.joint.split()[0])


@dataclasses.dataclass(frozen=True)
class MortarCoverage:
    notch: str  # as printed: '1/2 x 1/2 in square notch'
    low: float  # sq ft per unit
    high: float | None
    unit: str  # '50 lb bag'
    line: str
    header: str

    @property
    def parsed_notch(self) -> Notch:
        notch = Notch.parse(self.notch)
        if notch is None:  # the table's rows are read only where they name a notch
            raise ValueError(f"mortar coverage row with no notch size: {self.notch!r}")
        return notch


@dataclasses.dataclass(frozen=True)
class TrowelChoice:
    tiles: str  # as printed: '12 x 24 in and 24 x 24 in', 'up to 8 x 8 in', 'larger than 16 x 16 in'
    notch: str
    line: str

    def fits(self, sides: tuple[float, float]) -> bool:
        """Whether a tile of these sides is one this row is for. Ranges compare the longer side
        ('8 x 8 in to 16 x 16 in' holds 12 x 12, not 12 x 24); a list of sizes names them exactly."""
        text = self.tiles.lower()
        listed = [found for m in _SIZE.finditer(text) if (found := tile_sides(m.group(0))) is not None]  # (each is)
        if not listed:
            return False
        longest = sides[1]
        if "larger than" in text:
            return longest > listed[0][1]
        if "and larger" in text:
            return longest >= listed[0][1]
        if "up to" in text:
            return longest <= listed[-1][1]
        if re.search(r"\bto\b", text) and len(listed) == 2:
            return listed[0][1] <= longest <= listed[1][1]
        return sides in listed


@dataclasses.dataclass(frozen=True)
class PageCoverage:
    grout: tuple[GroutCoverage, ...] = ()
    mortar: tuple[MortarCoverage, ...] = ()
    trowels: tuple[TrowelChoice, ...] = ()


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def page_coverage(text: str) -> PageCoverage:
    """Every coverage table row a page's text states."""
    lines = _lines(text)
    flat = " ".join(lines)
    grout, mortar, trowels = [], [], []
    basis, unit = None, None
    if _LB_PER_100.search(flat):
        basis = "lb per 100 sq ft"
    elif per := _SQFT_PER_UNIT.search(flat):
        basis, unit = "sq ft per unit", per.group(1).strip()
    for i, line in enumerate(lines):
        if (header := _GROUT_HEADER.match(line)) and basis:
            joints = [f"{j} in" for j in re.findall(rf"({_NUMBER}) in joint", header.group(1))]
            for row in lines[i + 1 :]:
                cells = _GROUT_ROW.match(row)
                values = cells.group(2).split() if cells else []
                if cells is None or len(values) != len(joints):
                    break
                grout += [
                    GroutCoverage(cells.group(1), joint, amount(v), basis, unit, row, line)
                    for joint, v in zip(joints, values, strict=True)
                ]
        elif header := _MORTAR_HEADER.match(line):
            for row in lines[i + 1 :]:
                if not (cells := _MORTAR_ROW.match(row)):
                    break
                mortar.append(
                    MortarCoverage(
                        cells.group(1),
                        amount(cells.group(2)),
                        amount(cells.group(3)) if cells.group(3) else None,
                        header.group(1).strip(),
                        row,
                        line,
                    )
                )
        elif _TROWEL_HEADER.match(line):
            for row in lines[i + 1 :]:
                if not (cells := _TROWEL_ROW.match(row)):
                    break
                trowels.append(TrowelChoice(cells.group(1), cells.group(2), row))
    return PageCoverage(tuple(grout), tuple(mortar), tuple(trowels))


def unit_pounds(text: str | None) -> float | None:
    """The weight a name or unit states: 'ARDEX FL Gunmetal Sanded 25 lb' -> 25.0, '50 lb bag' -> 50.0."""
    found = re.search(r"(\d+(?:\.\d+)?)\s*lbs?\b", text or "", re.IGNORECASE)
    return float(found.group(1)) if found else None
