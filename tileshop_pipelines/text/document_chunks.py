"""A document's pages -> passages for embedding and full-text search, by page and section.

A section is a heading's span: the lines from a heading to the next heading. Text on a page before
its first heading continues the section the previous page ended in (a table running onto the next
page keeps its heading). A chunk never crosses a page, so every passage a shopper is shown has one
page to cite. Sections longer than the model's input are split in windows with the limits products
use (text/chunks.py: 256 word pieces with [CLS] and [SEP], 32 of overlap).

Each chunk's content is a first line naming the document and the section ("Superior LFT Mortar
Technical Data Sheet: Coverage"), so a passage is retrievable on its own, then the passage's own
lines, its wrapped sentences joined again (`reflow`; `passage_text` takes the first line off). Chunk ids are
``doc{document_id}:p{page}:{n}``, n counting the page's chunks.

Headings are recognised from the text alone (the PDF library gives text, not fonts): a short line,
in title case or capitals, with no figures (numbering aside), that is not a sentence or a
"label: value" line; such a line right under a heading with nothing under it yet is that heading's
first line instead (a table's header row: "Property Value"). A page's furniture goes first: the
lines every page starts or ends with (the running header and footer, page numbers aside) and
"Page N of M" lines. The document's title is its name joined to the first line left on its first
page ("Superior LFT Bond Mortar" + "Technical Data Sheet"); that title line with at most a line or
two under it (the kind and revision date) is the title block, which every passage carries as its
title, not a passage of its own: full text would find it for every word of the title.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tileshop_pipelines.text.chunks import (
    DESCRIPTION_OVERLAP_WORD_PIECES,
    MAX_SEQUENCE_WORD_PIECES,
    SPECIAL_WORD_PIECES,
    WordPieceSpans,
    description_windows,
)

# Raise when the passages change for the same page text: every document is chunked again.
DOCUMENT_CHUNKER_VERSION = 1
MAX_HEADING_CHARS = 60
MAX_HEADING_WORDS = 8
MAX_TITLE_CHARS = 120
MAX_TITLE_BLOCK_LINES = 2  # under the title line
# Words a title-case heading leaves in lower case.
_MINOR_WORDS = frozenset("a an and as at by for from in into of on or over per the to under with vs".split())
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.|[IVX]+\.)\s+")
_PAGE_NUMBER = re.compile(r"\bpage\s+\d+\s+of\s+\d+\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’/-]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def document_chunker_signature(model_name: str) -> str:
    """What a document's chunks depend on besides its text and name: this chunker and the
    word-piece model."""
    return f"document-chunker-v{DOCUMENT_CHUNKER_VERSION}/{model_name}"


@dataclass(frozen=True)
class DocumentChunk:
    chunk_id: str
    document_id: int
    page_number: int
    section: str  # the heading, '' before a document's first one
    ordinal: int  # of the chunk within its page
    title: str
    content: str

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


def clean_lines(text: str) -> list[str]:
    """The page's non-empty lines, each with its runs of spaces made one and control characters
    dropped (a PDF's text is data: nothing in it may forge a line of its own)."""
    lines = []
    for line in (text or "").splitlines():
        line = " ".join(_CONTROL.sub(" ", line).split())
        if line:
            lines.append(line)
    return lines


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """The pages' lines without their running header and footer (a first or last line every page of
    a document of two or more pages has, its figures aside) and "Page N of M" lines."""

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", line)

    with_text = [lines for lines in pages if lines]
    repeated: set[str] = set()
    if len(with_text) >= 2:
        for end in (0, -1):
            shapes = {shape(lines[end]) for lines in with_text}
            if len(shapes) == 1:
                repeated |= shapes
    return [
        [line for line in lines if shape(line) not in repeated and not _PAGE_NUMBER.search(line)] for lines in pages
    ]


def is_heading(line: str) -> bool:
    """A short line in title case or capitals: no sentence end, no "label: value", no figures
    (numbering aside)."""
    text = _NUMBERING.sub("", line.strip())
    if not text or len(text) > MAX_HEADING_CHARS or text[-1] in ".,;!?)" or ": " in text:
        return False
    words = text.rstrip(":").split()
    if not words or len(words) > MAX_HEADING_WORDS or any(ch.isdigit() for ch in text) or "|" in text:
        return False
    alphabetic = [w for w in words if _WORD.fullmatch(w.strip("()&,"))]
    if len(alphabetic) * 2 < len(words) + 1 or not alphabetic:
        return False
    if text.isupper():
        return True
    return all(w[0].isupper() or w.lower() in _MINOR_WORDS for w in alphabetic) and alphabetic[0][0].isupper()


# A line this long (and near the longest of its section) that ends mid-sentence was wrapped; a table's
# rows are shorter.
MIN_WRAPPED_CHARS = 70


def reflow(lines: list[str]) -> list[str]:
    """A PDF's wrapped lines joined back into their sentences: a line that fills the width (at least
    `MIN_WRAPPED_CHARS` and three quarters of the section's longest) and does not end a sentence,
    followed by one starting in lower case, goes on in it ("... New" + "concrete must cure ...").
    Table rows ("up to 12 x 12 in ...", "larger than 16 x 16 in ...") are short: they stay lines."""
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    wrapped = False  # the last line out ended a line that filled the width
    for line in lines:
        if out and wrapped and out[-1][-1:] not in ".:;!?" and line[:1].islower():
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        wrapped = len(line) >= max(MIN_WRAPPED_CHARS, 0.75 * width)
    return out


def page_sections(lines: list[str], carried: str) -> tuple[list[tuple[str, list[str]]], str]:
    """(heading, body lines) of a page's sections, in order, and the heading the page ends under.
    Lines before the page's first heading belong to `carried` (the section the previous page ended
    in); a heading with nothing under it on this page is left out, and when it is the page's last,
    its lines start the next page under its name."""
    sections: list[tuple[str, list[str]]] = [(carried, [])]
    under_heading = False  # the last line was a heading
    for line in lines:
        if is_heading(line) and not under_heading:
            sections.append((line.rstrip(":"), []))
            under_heading = True
        else:
            sections[-1][1].append(line)
            under_heading = False
    return [(heading, body) for heading, body in sections if body], sections[-1][0]


def document_title(name: str, first_lines: list[str]) -> str:
    """The document as a shopper would name it: the name the product pages give it ("Technical Data
    Sheet", often the same for many documents) joined to the first line of its first page (its
    furniture gone) when that line is a title the name does not already say ("Superior LFT Mortar")."""
    name = " ".join(_CONTROL.sub(" ", name or "").split()) or "Document"
    first = first_lines[0] if first_lines else ""
    title = name
    if first and len(first) <= MAX_TITLE_CHARS and first[-1] not in ".,;:!?":
        if name.lower() in first.lower():
            title = first
        elif first.lower() not in name.lower():
            # A long title wraps: "... Membrane Safety Data" + the name "Safety Data Sheet" overlap.
            head, tail = first.split(), name.split()
            overlap = max(
                (
                    n
                    for n in range(1, min(len(head), len(tail)) + 1)
                    if [w.lower() for w in head[-n:]] == [w.lower() for w in tail[:n]]
                ),
                default=0,
            )
            title = " ".join(head + tail[overlap:])
    return title[:MAX_TITLE_CHARS]


def _title_block(heading: str, body: list[str], title_line: str | None) -> bool:
    """The first page's title line (as a heading or as the first line before any) with at most a
    line or two under it: the title every passage carries, not a passage."""
    lines = body if heading == title_line else body[1:] if not heading and body[:1] == [title_line] else None
    return (
        lines is not None
        and len(lines) <= MAX_TITLE_BLOCK_LINES
        and all(len(line) <= MAX_TITLE_CHARS for line in lines)
    )


def chunk_document(
    document_id: int,
    name: str,
    pages: list[tuple[int, str]],
    word_piece_spans: WordPieceSpans,
    max_word_pieces: int = MAX_SEQUENCE_WORD_PIECES,
) -> list[DocumentChunk]:
    """The passages of a document (`name`: what the product pages call it) from its pages' text
    ((page number, text), in page order)."""
    cleaned = strip_furniture([clean_lines(text) for _, text in pages])
    title = document_title(name, cleaned[0] if cleaned else [])
    chunks: list[DocumentChunk] = []
    section = ""
    title_line = cleaned[0][0] if cleaned and cleaned[0] else None
    for index, ((page_number, _), lines) in enumerate(zip(pages, cleaned, strict=True)):
        ordinal = 0
        found, ends_under = page_sections(lines, section)
        for heading, body in found:
            if index == 0 and _title_block(heading, body, title_line):
                continue
            prefix = f"{title}: {heading}" if heading else title
            budget = max_word_pieces - SPECIAL_WORD_PIECES - len(word_piece_spans(prefix + "\n"))
            windows = description_windows(
                "\n".join(reflow(body)), word_piece_spans, budget, overlap=DESCRIPTION_OVERLAP_WORD_PIECES
            )
            for window in windows:
                chunks.append(
                    DocumentChunk(
                        f"doc{document_id}:p{page_number}:{ordinal}",
                        document_id,
                        page_number,
                        heading,
                        ordinal,
                        title,
                        f"{prefix}\n{window}",
                    )
                )
                ordinal += 1
        section = ends_under
    return chunks


def passage_text(content: str) -> str:
    """A chunk's own lines, without the first line naming the document and section."""
    return content.partition("\n")[2]
