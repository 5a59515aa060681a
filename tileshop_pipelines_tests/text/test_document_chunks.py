import io

import pytest
from pypdf import PdfReader

from tileshop_pipelines.embedding.model import word_piece_spans
from tileshop_pipelines.sample_catalog.documents import DOCUMENTS, normalized
from tileshop_pipelines.sample_catalog.pdfs import document_pdf
from tileshop_pipelines.text.chunks import MAX_SEQUENCE_WORD_PIECES
from tileshop_pipelines.text.document_chunks import (
    chunk_document,
    clean_lines,
    document_title,
    is_heading,
    page_sections,
    passage_text,
    strip_furniture,
)

SPANS = word_piece_spans()  # the real MiniLM tokenizer

DATA_SHEET = [
    """SUPERIOR INSTALLATION SYSTEMS TECHNICAL DATA SHEET
Superior LFT Mortar
Technical Data Sheet | Revised May 1, 2024
Description
A polymer-modified mortar for large and heavy tile on floors and walls.
Substrates
Concrete, cement backer board, plywood (exterior glue) over joists 16 in on center.
Coverage
Trowel notch Coverage per 50 lb bag
1/4 x 3/8 in square 60 - 70 sq. ft.
1/2 x 1/2 in square 40 - 45 sq. ft.
Superior LFT Mortar | Revised May 1, 2024 | Page 1 of 2""",
    """SUPERIOR INSTALLATION SYSTEMS TECHNICAL DATA SHEET
3/4 in U-notch 30 - 35 sq. ft.
Pot Life
Pot life: 2 hours at 70 F.
Technical Data
Property Value
Shelf life 12 months
Grouting
Grout after 24 hours.
Superior LFT Mortar | Revised May 1, 2024 | Page 2 of 2""",
]


@pytest.mark.parametrize(
    "line, heading",
    [
        ("Coverage", True),
        ("POT LIFE", True),
        ("3. Surface Preparation", True),
        ("Time Before Grouting", True),
        ("Coverage:", True),
        ("Installation over Concrete", True),
        ("Grout after 24 hours.", False),  # a sentence
        ("Pot life: 2 hours at 70 F", False),  # a label and its value
        ("1/2 x 1/2 in square 40 - 45 sq. ft", False),  # a table row
        ("12 x 24", False),
        ("Standard ANSI A118.4", False),  # figures: a table row
        ("Technical Data Sheet | Revised May 1, 2024", False),
        ("Mix with clean water until smooth and lump free for about five minutes then slake", False),  # long
        ("mix well", False),  # lower case
    ],
)
def test_headings(line, heading):
    assert is_heading(line) is heading


def _pages(texts):
    return strip_furniture([clean_lines(t) for t in texts])


def test_running_header_footer_and_page_numbers_go():
    first, second = _pages(DATA_SHEET)
    assert first[0] == "Superior LFT Mortar" and first[-1] == "1/2 x 1/2 in square 40 - 45 sq. ft."
    assert second[0] == "3/4 in U-notch 30 - 35 sq. ft." and second[-1] == "Grout after 24 hours."
    # one page: nothing repeats, only the page number line goes
    assert strip_furniture([["Title", "Text.", "Page 1 of 1"]]) == [["Title", "Text."]]


def test_sections_are_a_headings_span_and_carry_over_a_page():
    first, second = _pages(DATA_SHEET)
    sections, last = page_sections(first, carried="")
    # the title line is a heading over the revision line
    assert [h for h, _ in sections] == ["Superior LFT Mortar", "Description", "Substrates", "Coverage"]
    assert last == "Coverage"
    sections, last = page_sections(second, carried=last)
    assert sections[0] == ("Coverage", ["3/4 in U-notch 30 - 35 sq. ft."])  # the table went on from page 1
    # a table's header row right under its heading is no heading of its own
    assert sections[2] == ("Technical Data", ["Property Value", "Shelf life 12 months"])
    assert last == "Grouting"


def test_a_heading_with_nothing_under_it_names_the_next_pages_lines():
    sections, last = page_sections(["Intro text here.", "Coverage"], carried="")
    assert sections == [("", ["Intro text here."])] and last == "Coverage"


def test_control_characters_and_blank_lines_go():
    assert clean_lines("a\x00b\u2028c\n\n   \n  d   e ") == ["a b", "c", "d e"]  # U+2028 ends a line


@pytest.mark.parametrize(
    "name, first, title",
    [
        ("Technical Data Sheet", "Superior LFT Mortar", "Superior LFT Mortar Technical Data Sheet"),
        (
            "Technical Data Sheet",
            "Superior LFT Mortar Technical Data Sheet",
            "Superior LFT Mortar Technical Data Sheet",
        ),
        (
            "Superior LFT Mortar Technical Data Sheet",
            "Technical Data Sheet",
            "Superior LFT Mortar Technical Data Sheet",
        ),
        (
            "Safety Data Sheet",
            "Superior Pro Shield Membrane Safety Data",
            "Superior Pro Shield Membrane Safety Data Sheet",
        ),
        ("Installation Instructions", "Read these instructions before you begin.", "Installation Instructions"),
        ("Warranty", None, "Warranty"),
        ("", "", "Document"),
    ],
)
def test_document_title(name, first, title):
    assert document_title(name, [first] if first is not None else []) == title


def test_chunks_by_page_and_section_name_document_and_section():
    pages = [(1, DATA_SHEET[0]), (2, DATA_SHEET[1])]
    chunks = chunk_document(7, "Technical Data Sheet", pages, SPANS)
    # the title block (title line, kind and revision) is no passage: every passage carries the title
    assert [(c.page_number, c.section) for c in chunks] == [
        (1, "Description"),
        (1, "Substrates"),
        (1, "Coverage"),
        (2, "Coverage"),
        (2, "Pot Life"),
        (2, "Technical Data"),
        (2, "Grouting"),
    ]
    assert [c.chunk_id for c in chunks[2:4]] == ["doc7:p1:2", "doc7:p2:0"]
    coverage = chunks[2]
    assert coverage.content.split("\n")[0] == "Superior LFT Mortar Technical Data Sheet: Coverage"
    assert passage_text(coverage.content) == (
        "Trowel notch Coverage per 50 lb bag\n1/4 x 3/8 in square 60 - 70 sq. ft.\n1/2 x 1/2 in square 40 - 45 sq. ft."
    )
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    # the same text gives the same chunks (ids and hashes): nothing is re-embedded
    again = chunk_document(7, "Technical Data Sheet", pages, SPANS)
    assert [(c.chunk_id, c.text_hash) for c in again] == [(c.chunk_id, c.text_hash) for c in chunks]


def test_a_long_section_is_split_in_windows_that_fit_the_model():
    body = " ".join(f"Spread the mortar evenly step{i}." for i in range(400))
    chunks = chunk_document(3, "Installation Instructions", [(1, f"Installation\n{body}")], SPANS)
    assert len(chunks) > 3
    assert all(c.section == "Installation" for c in chunks)
    assert all(len(SPANS(c.content)) + 2 <= MAX_SEQUENCE_WORD_PIECES for c in chunks)
    assert all(c.content.startswith("Installation Instructions: Installation\n") for c in chunks)
    words = [w for c in chunks for w in passage_text(c.content).split()]
    assert set(words) == set(body.split())  # every word in some window


def test_a_page_without_text_gives_no_chunk():
    assert chunk_document(1, "Warranty", [(1, "   \n\n"), (2, "")], SPANS) == []


def test_every_fact_of_the_sample_documents_is_in_a_passage_of_its_page():
    """The sample catalog's documents as the pipeline reads them (fpdf2's PDFs, pypdf's text): each
    fact of the facts table is in a passage of the page it names, and, but for a table's one-word
    rows read as headings ("Paintable No"), under the section it names; each passage names the
    document by its printed title."""
    facts = in_page = in_section = 0
    for number, doc in enumerate(DOCUMENTS.values()):
        reader = PdfReader(io.BytesIO(document_pdf(doc.path)))
        chunks = chunk_document(number, doc.name, [(n, p.extract_text()) for n, p in enumerate(reader.pages, 1)], SPANS)
        assert all(doc.title.lower() in c.title.lower() for c in chunks), (doc.path, chunks[0].title)
        for fact in doc.facts:
            facts += 1
            found = [
                c
                for c in chunks
                if c.page_number == fact.page and normalized(fact.statement) in normalized(passage_text(c.content))
            ]
            in_page += bool(found)
            in_section += any(c.section == fact.section for c in found)
    assert facts > 800 and in_page == facts
    assert in_section >= 0.99 * facts


def test_wrapped_sentences_are_joined_and_table_rows_kept():
    from tileshop_pipelines.text.document_chunks import reflow

    wide = "Substrates must be structurally sound, clean, and free of dust, oil, wax and sealers. New"
    assert reflow(
        [
            wide,
            "concrete must cure at least 28 days before tile is set on it, at 70°F and 50% relative",
            "humidity.",
            "Tile size Trowel notch",
            "up to 12 x 12 in 1/4 x 3/8 in square notch",
            "12 x 24 in and 24 x 24 in 1/2 x 1/2 in square notch",
            "larger than 24 x 24 in 3/4 in U-notch",
            "Use a flexible sealant.",
        ]
    ) == [
        f"{wide} concrete must cure at least 28 days before tile is set on it, at 70°F and 50% relative humidity.",
        "Tile size Trowel notch",
        "up to 12 x 12 in 1/4 x 3/8 in square notch",
        "12 x 24 in and 24 x 24 in 1/2 x 1/2 in square notch",
        "larger than 24 x 24 in 3/4 in U-notch",
        "Use a flexible sealant.",
    ]
