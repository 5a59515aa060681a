"""The shape of a sample document (sections on fixed pages, facts stating where they are printed)
and the writer document_texts.py builds each one with; documents.py holds the table of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping

from .document_lines import CDN_URL

KINDS = ("technical data sheet", "installation instructions", "safety data sheet", "care guide", "warranty")
TILE_SHOP = "The Tile Shop"  # the publisher of the documents that are the store's own
Revised = Callable[[str], dt.date]  # a document's path -> its revision date (document_texts.revised)


@dataclasses.dataclass(frozen=True)
class Value:
    """A number with its unit; `upto` makes it a range ("90 to 95 sq ft": Value(90, "sq ft", 95))."""

    number: float
    unit: str
    upto: float | None = None


@dataclasses.dataclass(frozen=True)
class Fact:
    """One thing a document states, where, and in which words."""

    key: str  # what is stated, e.g. "mortar coverage", "pot life", "substrates"
    values: tuple[Value | str, ...]  # numbers with units; words where the fact is a list (substrates)
    page: int  # 1-based
    section: str  # the heading it is under
    statement: str  # the sentence, or a table row's cells joined by single spaces
    conditions: Mapping[str, str] = dataclasses.field(default_factory=dict)  # e.g. {"trowel notch": ...}


@dataclasses.dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative column widths


@dataclasses.dataclass(frozen=True)
class Section:
    heading: str
    page: int
    blocks: tuple[str | Table, ...]  # paragraphs and tables, in order


@dataclasses.dataclass(frozen=True)
class SampleDocument:
    path: str  # URL path on the CDN, e.g. /is/content/TileShop/pdf/tds/ardex-x4-mortar-tds.pdf
    name: str  # the name product pages give it ("Technical Data Sheet", "Warranty", ...)
    kind: str  # one of KINDS
    title: str  # the title its first page prints
    publisher: str
    revised: dt.date
    sections: tuple[Section, ...]
    facts: tuple[Fact, ...]

    @property
    def url(self) -> str:
        """Its address on the real CDN, as the catalog's product records hold it."""
        return CDN_URL + self.path

    @property
    def page_count(self) -> int:
        return max(s.page for s in self.sections)

    def facts_about(self, key: str) -> list[Fact]:
        return [f for f in self.facts if f.key == key]


class Writer:
    """Writes a document section by section. A fact is recorded where its sentence is written, so the
    page and section a fact names are the ones it is printed in."""

    def __init__(self, path: str, name: str, kind: str, title: str, publisher: str, revised: dt.date):
        if kind not in KINDS:
            raise ValueError(f"{path}: unknown document kind {kind!r}")
        self._head = (path, name, kind, title, publisher, revised)
        self._sections: list[tuple[str, int, list[str | Table]]] = []
        self._facts: list[Fact] = []

    def section(self, heading: str, page: int) -> Writer:
        if self._sections and page < self._sections[-1][1]:
            raise ValueError(f"{self._head[0]}: section {heading!r} on page {page} after page {self._sections[-1][1]}")
        self._sections.append((heading, page, []))
        return self

    def fact(self, key: str, values: tuple[Value | str, ...] | Value | str, sentence: str, **conditions: str) -> str:
        """Record a fact stated by `sentence` in the current section; returns the sentence."""
        heading, page, _ = self._sections[-1]
        values = values if isinstance(values, tuple) else (values,)
        self._facts.append(Fact(key, values, page, heading, sentence, dict(conditions)))
        return sentence

    def paragraph(self, *sentences: str) -> Writer:
        self._sections[-1][2].append(" ".join(sentences))
        return self

    def row(
        self, cells: tuple[str, ...], *facts: tuple[str, tuple[Value | str, ...] | Value | str, dict[str, str]]
    ) -> tuple[str, ...]:
        """A table row; each fact (key, values, conditions) is stated by the whole row."""
        for key, values, conditions in facts:
            self.fact(key, values, " ".join(cells), **conditions)
        return cells

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...]) -> Writer:
        if any(len(r) != len(header) for r in rows) or len(widths) != len(header):
            raise ValueError(f"{self._head[0]}: a table row or width list does not match its header {header}")
        self._sections[-1][2].append(Table(header, tuple(rows), widths))
        return self

    def done(self) -> SampleDocument:
        path, name, kind, title, publisher, revised = self._head
        sections = tuple(Section(h, p, tuple(b)) for h, p, b in self._sections)
        return SampleDocument(path, name, kind, title, publisher, revised, sections, tuple(self._facts))


_FRACTIONS = {
    0.0625: "1/16",
    0.125: "1/8",
    0.1875: "3/16",
    0.25: "1/4",
    0.3125: "5/16",
    0.375: "3/8",
    0.5: "1/2",
    0.625: "5/8",
    0.75: "3/4",
}
_SINGULAR = {"hours": "hour", "days": "day", "years": "year", "minutes": "minute", "quarts": "quart", "months": "month"}


def number(x: float, unit: str = "") -> str:
    """How a document prints a number: inches as fractions (1/8), others as plain numbers (1,200; 2.5)."""
    if unit == "in" and x in _FRACTIONS:
        return _FRACTIONS[x]
    if x == int(x):
        return f"{int(x):,}"
    return f"{x:g}"


def say(value: Value) -> str:
    """A value as the document prints it: "3 hours", "1 hour", "90 to 95 sq ft", "1/8 in", "65°F to 85°F"."""
    if value.unit == "°F":
        return f"{number(value.number)}°F" + (f" to {number(value.upto)}°F" if value.upto is not None else "")
    amount = number(value.number, value.unit)
    if value.upto is not None:
        amount += f" to {number(value.upto, value.unit)}"
    unit = _SINGULAR.get(value.unit, value.unit) if value.number == 1 and value.upto is None else value.unit
    return f"{amount}%" if unit == "%" else f"{amount} {unit}"


def listing(items: tuple[str, ...], conjunction: str = "and") -> str:
    """ "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} {items[-1]}"
