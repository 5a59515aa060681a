"""The documents the sample catalog's product pages name (technical data sheets, installation
instructions, safety data sheets, care guides, warranties) and the facts each one states: the one
table the tests and the evaluation take as the truth about them.

A document is sections laid on fixed pages. Each fact names its page, its section and the sentence
or table row that states it, exactly as the PDF prints it (pdfs.py renders the same sections, so
text extracted from that page holds the statement, whitespace aside). The documents' content is in
document_texts.py, the product lines behind it in document_lines.py; both are fixed, so a document
is the same in every catalog, whatever its seed or size.

    doc = sample_document("/is/content/TileShop/pdf/tds/ardex-x4-mortar-tds.pdf")
    [f.values for f in doc.facts if f.key == "mortar coverage"]
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .document_lines import PDF_DIR, on_cdn
from .document_model import KINDS, Fact, SampleDocument, Section, Table, Value
from .document_texts import all_documents

__all__ = [
    "DOCUMENTS",
    "KINDS",
    "Fact",
    "SampleDocument",
    "Section",
    "Table",
    "Value",
    "document_path",
    "normalized",
    "on_cdn",
    "sample_document",
]


def document_path(path_or_url: str) -> str:
    """The CDN path of a document's path or URL (any host: the real CDN or the local stand-in)."""
    path = urlsplit(path_or_url).path if "://" in path_or_url else path_or_url
    if not path.startswith(PDF_DIR):
        raise KeyError(f"not a sample document path: {path_or_url!r}")
    return path


def _registry() -> dict[str, SampleDocument]:
    registry: dict[str, SampleDocument] = {}
    for doc in all_documents():
        if doc.path in registry:
            raise ValueError(f"two sample documents at {doc.path}")
        registry[doc.path] = doc
    return registry


DOCUMENTS: dict[str, SampleDocument] = _registry()


def sample_document(path_or_url: str) -> SampleDocument:
    """The document at a path or URL; KeyError naming it when the sample catalog has none there."""
    path = document_path(path_or_url)
    try:
        return DOCUMENTS[path]
    except KeyError:
        raise KeyError(f"no sample document at {path!r}") from None


def normalized(text: str) -> str:
    """Text with every run of whitespace as one space: how a statement is compared with the text
    extracted from its page (a PDF breaks long sentences across lines)."""
    return " ".join(text.split())
