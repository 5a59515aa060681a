"""The sample documents as PDFs: the same bytes every run, a revision changes them, and pypdf finds
every fact's statement on the page the facts table gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pypdf
import pytest

from tileshop_pipelines.sample_catalog.documents import DOCUMENTS, normalized, sample_document
from tileshop_pipelines.sample_catalog.pdfs import PageOverflow, document_pdf, render

# One of each kind and layout: a mortar, a sanded and a premixed grout, a caulk, a sealer, SDSs, guides.
SHOWN = [
    "/is/content/TileShop/pdf/tds/superior-lft-bond-mortar-tds.pdf",
    "/is/content/TileShop/pdf/tds/superior-excel-sanded-grout-tds.pdf",
    "/is/content/TileShop/pdf/tds/bostik-dimension-urethane-grout-tds.pdf",
    "/is/content/TileShop/pdf/tds/ardex-sx-silicone-caulk-tds.pdf",
    "/is/content/TileShop/pdf/tds/superior-penetrating-sealer-tds.pdf",
    "/is/content/TileShop/pdf/sds/superior-lft-bond-mortar-sds.pdf",
    "/is/content/TileShop/pdf/safety-data-sheets/porcelain-tile-safety-data-sheet.pdf",
    "/is/content/TileShop/pdf/installation/luxury-vinyl-installation-instructions.pdf",
    "/is/content/TileShop/pdf/warranty/laminate-warranty.pdf",
    "/is/content/TileShop/pdf/care/natural-stone-care-guide.pdf",
]


def _pages(pdf: bytes) -> list[str]:
    return [normalized(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _check_statements(path: str, pdf: bytes) -> None:
    doc = sample_document(path)
    pages = _pages(pdf)
    assert len(pages) == doc.page_count, path
    for fact in doc.facts:
        assert normalized(fact.statement) in pages[fact.page - 1], (path, fact.page, fact.statement)
    for section in doc.sections:
        assert section.heading in pages[section.page - 1], (path, section.heading)


@pytest.mark.parametrize("path", SHOWN)
def test_pypdf_finds_each_statement_on_its_page(path):
    _check_statements(path, render(sample_document(path)))


@pytest.mark.slow  # every document: about 4 s
def test_pypdf_finds_each_statement_of_every_document_on_its_page():
    for path in DOCUMENTS:
        _check_statements(path, document_pdf(path))


def test_the_bytes_are_the_same_every_time_and_a_revision_changes_them():
    doc = sample_document(SHOWN[1])
    first, again = render(doc), render(doc)
    assert first == again and first.startswith(b"%PDF-1.")
    revised = render(doc, revision=1)
    assert revised != first
    _check_statements(doc.path, revised)
    assert "revision 2" in _pages(revised)[0]


def test_the_metadata_is_fixed_by_the_document():
    doc = sample_document(SHOWN[0])
    reader = pypdf.PdfReader(io.BytesIO(render(doc)))
    meta = reader.metadata
    assert meta.title == doc.title and meta.author == doc.publisher and meta.subject == "Technical Data Sheet"
    assert meta.creation_date == dt.datetime.combine(doc.revised, dt.time(9, 0), tzinfo=dt.UTC)


def test_document_pdf_is_made_once_per_document_and_revision():
    url = "https://s7d1.scene7.com" + SHOWN[3]
    assert document_pdf(url) is document_pdf(SHOWN[3])
    assert document_pdf(SHOWN[3], 1) != document_pdf(SHOWN[3])
    with pytest.raises(KeyError, match="nothing-here"):
        document_pdf("/is/content/TileShop/pdf/tds/nothing-here.pdf")


def test_a_section_too_long_for_its_page_fails_naming_the_document_and_page():
    doc = sample_document(SHOWN[9])
    long = dataclasses.replace(doc.sections[0], blocks=("Seal the stone. " * 400,))
    with pytest.raises(PageOverflow, match=r"natural-stone-care-guide.pdf: page 1 overflows"):
        render(dataclasses.replace(doc, sections=(long,) + doc.sections[1:]))
