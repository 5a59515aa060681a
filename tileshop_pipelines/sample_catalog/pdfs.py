"""The sample documents as PDF files, written with fpdf2: a header and footer on every page, the title
on the first, each section's heading, paragraphs and tables on the page the facts table gives it.

The bytes are a function of the document and its revision only (fixed creation date, metadata and
file identifier), so they are identical run to run and a revision changes them. A section that does
not fit its page is an error naming the document and page, never a silent page break: the page a
fact names is where it is printed."""

from __future__ import annotations

import datetime as dt
import functools

from fpdf import FPDF
from fpdf.fonts import FontFace

from .document_model import SampleDocument, Table
from .documents import sample_document

_MARGIN = 18.0  # mm, left and right
_TOP = 14.0
_BOTTOM_LIMIT = 279.4 - 20.0  # letter height less the footer band
_LINE = 5.0  # mm per line of body text
_KIND_TITLES = {
    "technical data sheet": "Technical Data Sheet",
    "installation instructions": "Installation Instructions",
    "safety data sheet": "Safety Data Sheet",
    "care guide": "Care Guide",
    "warranty": "Limited Warranty",
}
_PRODUCER = "The Tile Shop sample catalog (fpdf2)"


class PageOverflow(ValueError):
    """A section's content runs past the bottom of the page the facts table puts it on."""


class _Pdf(FPDF):
    def __init__(self, doc: SampleDocument, revision: int):
        super().__init__(format="letter", unit="mm")
        self.doc, self.revision = doc, revision
        self.set_margins(_MARGIN, _TOP, _MARGIN)
        self.set_auto_page_break(False)
        self.set_creation_date(
            dt.datetime.combine(doc.revised, dt.time(9, 0), tzinfo=dt.UTC) + dt.timedelta(days=revision)
        )
        self.set_title(doc.title)
        self.set_author(doc.publisher)
        self.set_subject(_KIND_TITLES[doc.kind])
        self.set_creator("The Tile Shop")
        self.set_producer(_PRODUCER)
        self.alias_nb_pages()

    def header(self) -> None:
        self.set_font("Helvetica", "B", 8)
        self.set_text_color(90, 90, 90)
        self.cell(90, 5, self.doc.publisher.upper())
        self.cell(0, 5, _KIND_TITLES[self.doc.kind].upper(), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(160, 160, 160)
        self.line(_MARGIN, self.get_y() + 1, self.w - _MARGIN, self.get_y() + 1)
        self.set_text_color(0, 0, 0)
        self.ln(5)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(90, 90, 90)
        revision = f"Revised {_date(self.doc.revised)}" + (f", revision {self.revision + 1}" if self.revision else "")
        self.cell(0, 5, f"{self.doc.title} | {revision} | Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _date(day: dt.date) -> str:
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def _check(pdf: _Pdf, page: int) -> None:
    if pdf.get_y() > _BOTTOM_LIMIT:
        raise PageOverflow(f"{pdf.doc.path}: page {page} overflows (move a section to the next page)")


def _table(pdf: _Pdf, table: Table) -> None:
    pdf.set_font("Helvetica", "", 9)
    with pdf.table(
        col_widths=table.widths,
        text_align="LEFT",
        line_height=5.5,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        padding=1,
    ) as out:
        for cells in (table.header,) + table.rows:
            row = out.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(3)


def render(doc: SampleDocument, revision: int = 0) -> bytes:
    """The PDF bytes of a document; `revision` > 0 is a reissue (new dates in the footer and metadata)."""
    pdf = _Pdf(doc, revision)
    page = 0
    for section in doc.sections:
        while page < section.page:
            pdf.add_page()
            page += 1
            if page == 1:
                pdf.set_font("Helvetica", "B", 17)
                pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT")
                pdf.set_font("Helvetica", "", 10)
                pdf.cell(
                    0, 6, f"{_KIND_TITLES[doc.kind]} | Revised {_date(doc.revised)}", new_x="LMARGIN", new_y="NEXT"
                )
                pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 7, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        for block in section.blocks:
            if isinstance(block, Table):
                _table(pdf, block)
            else:
                pdf.set_font("Helvetica", "", 10)
                pdf.multi_cell(0, _LINE, block, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            _check(pdf, page)
        pdf.ln(2)
    return bytes(pdf.output())


def document_pdf(path_or_url: str, revision: int = 0) -> bytes:
    """The PDF of the sample document at a path or URL (KeyError when there is none), made once per
    (document, revision)."""
    return _cached(sample_document(path_or_url).path, revision)


@functools.lru_cache(maxsize=512)
def _cached(path: str, revision: int) -> bytes:
    return render(sample_document(path), revision)
