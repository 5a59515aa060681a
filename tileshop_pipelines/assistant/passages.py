"""Questions -> passages of the store's documents (installation instructions, data sheets, safety
data sheets, care guides, warranties), each naming its document, page and the products that link it.

- `retrieve_passages`: the documents linked by the products a question names (by SKU) first, then
  hybrid search over every passage (store.document_search).
- `documents_answer`: whether the documents answer a question, rather than (or beside) the products:
  it asks how (install, cure, mix, which trowel, can X go over Y), or its nearest passage is nearer
  to it than its nearest product chunk by `DOCUMENT_MARGIN` (same model, same space).
- `quote`: the lines of a passage an offline answer quotes, as data: one line each, no control
  characters, at most `MAX_QUOTE_CHARS`.
- `search_result`: a passage as the Messages API's search_result block (title: the document,
  source: its address at the page, citations on), the one form Claude reads passages in, in the
  question's message and in tool results alike: the document's text is data inside it.
"""

from __future__ import annotations

import re

import numpy as np
import psycopg
from pydantic import BaseModel, ConfigDict

from tileshop_pipelines.store.document_search import (
    hybrid_search_documents,
    linked_products,
    match_documents,
    product_passages,
)
from tileshop_pipelines.store.search import match_products
from tileshop_pipelines.text.document_chunks import passage_text

PASSAGES_PER_QUESTION = 3
# How much nearer (cosine) a question's nearest passage must be than its nearest product chunk for
# the documents to answer a question that does not read as how-to. Measured on `tileshop eval`'s
# questions (docs/search.md), 500 products: at 0.05, 96% of the how-to suite's questions and 1% of
# the product questions (retrieval and task suites) pass; at 0, 100% and 13% (60 products: 95%/5%).
DOCUMENT_MARGIN = 0.05
MAX_QUOTE_CHARS = 500
_ASKS_HOW = re.compile(
    r"\b(how\s+(?:do|does|can|should|would|to|long|soon|thick|often|far|wide)|can\s+(?:i|you|we|it|they)\b"
    r"|how\s+much\s+(?:area|water|gap|stagger|\w+\s+(?:do|does|should|per))"
    r"|can\s+\w+(?:\s+\w+)?\s+(?:go|be\s+(?:installed|used|laid|put))|do\s+i\s+(?:need|have)\s+to"
    r"|is\s+it\s+(?:ok|safe)"
    r"|when\s+can|what\s+(?:size\s+)?trowel|which\s+trowel|trowel\s+(?:size|notch)|notch|install(?:ing|ation)?"
    r"|acclimat\w*|expansion\s+gap|pot\s+life|cur(?:e|ing)\s+time|before\s+(?:i\s+can\s+)?grout(?:ing)?|substrates?"
    r"|slab|mix(?:ing)?\s+ratio|safety|hazard\w*|warrant(?:y|ies)|care\s+for|clean(?:ing)?\s+(?:it|them|the)|seal(?:ing)?)\b",
    re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9/]+")
_STOP = frozenset("a an and are as at be by can do does for from how i in is it its my of on or should the to "
                  "what when which with you your we our".split())


class PassageHit(BaseModel):
    """A passage found for a question (a pydantic model: tools return it as it is)."""

    model_config = ConfigDict(frozen=True)

    id: str
    document_id: int
    title: str  # the document, as a shopper names it (text/document_chunks.document_title)
    url: str
    page: int
    section: str | None
    text: str  # the passage's own lines
    score: float
    products: tuple[dict, ...] = ()  # the first listed products linking the document: sku, name, url, product_key
    product_count: int = 0  # all listed products linking it

    @property
    def source(self) -> str:
        """The document's address at its page (a PDF viewer opens it there)."""
        return f"{self.url}#page={self.page}"

    def public(self, *, quoted: bool = False) -> dict:
        """What the API and `tileshop ask` show of a passage; `quoted`: the answer's text quotes it,
        under its document, page and products (an offline answer), so the chat page shows it there
        and not a second time."""
        return {"document": self.title, "url": self.url, "page": self.page, "source": self.source,
                "section": self.section, "text": self.text, "score": self.score,
                "products": [{k: p[k] for k in ("sku", "name", "url")} for p in self.products],
                "product_count": self.product_count, "quoted": quoted}


_HOW_MANY = re.compile(r"\bhow\s+many\b", re.IGNORECASE)


def asks_how(question: str) -> bool:
    """How to install, mix, cure; which trowel; can X go over Y. "How many" asks for a count (the
    estimate tool's boxes), not how."""
    return bool(_ASKS_HOW.search(question)) and not _HOW_MANY.search(question)


def documents_answer(conn: psycopg.Connection, question: str, query_embedding: np.ndarray) -> bool:
    if asks_how(question):
        return True
    passage = match_documents(conn, query_embedding, 1)
    if not passage:
        return False
    product = match_products(conn, query_embedding, 1)
    return not product or passage[0]["score"] - product[0]["score"] > DOCUMENT_MARGIN


def _hits(conn: psycopg.Connection, rows: list[dict]) -> list[PassageHit]:
    links = linked_products(conn, list({row["document_id"] for row in rows}))
    hits = []
    for row in rows:
        meta, linked = row["metadata"], links.get(row["document_id"], {"count": 0, "products": []})
        hits.append(PassageHit(id=row["id"], document_id=row["document_id"], title=meta.get("title") or "Document",
                               url=meta.get("url") or "", page=row["page_number"], section=meta.get("section"),
                               text=passage_text(row["content"]) or row["content"],
                               score=round(float(row["score"]), 4), products=tuple(linked["products"]),
                               product_count=linked["count"]))
    return hits


def retrieve_passages(conn: psycopg.Connection, question: str, query_embedding: np.ndarray, *,
                      limit: int = PASSAGES_PER_QUESTION, product_keys: list[str] | None = None,
                      only_these_products: bool = False) -> list[PassageHit]:
    """The passages that best answer the question: of the named products' documents first (nearest
    to the question), then (unless `only_these_products`) the best of all documents' passages by
    hybrid search; each once."""
    rows = product_passages(conn, product_keys, query_embedding, limit) if product_keys else []
    if not only_these_products:
        seen = {row["id"] for row in rows}
        rows += [row for row in hybrid_search_documents(conn, question, query_embedding, limit)
                 if row["id"] not in seen]
    return _hits(conn, rows[:limit])


def _terms(text: str) -> set[str]:
    return {w.rstrip("s") if len(w) > 3 else w for w in _WORDS.findall(text.lower()) if w not in _STOP}


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def quote(passage: PassageHit, question: str, max_chars: int = MAX_QUOTE_CHARS) -> list[str]:
    """The passage's lines to quote (its sentences, a table's rows): all of them when they fit, else
    the run of consecutive ones around the one sharing most words with the question, grown one at a
    time (after, then before) while it fits."""
    lines = [sentence for line in passage.text.splitlines() if line.strip()
             for sentence in _SENTENCE_END.split(" ".join(line.split()))]
    if sum(len(line) + 1 for line in lines) <= max_chars:
        return lines
    wanted = _terms(question)
    best = max(range(len(lines)), key=lambda i: (len(_terms(lines[i]) & wanted), -i))
    start, end = best, best + 1
    size = len(lines[best])
    while True:
        grown = False
        for candidate in (end, start - 1):
            if 0 <= candidate < len(lines) and size + len(lines[candidate]) + 1 <= max_chars:
                size += len(lines[candidate]) + 1
                start, end = min(start, candidate), max(end, candidate + 1)
                grown = True
        if not grown:
            break
    picked = lines[start:end]
    if len(picked) == 1 and len(picked[0]) > max_chars:
        picked = [picked[0][: max_chars - 1] + "…"]
    return picked


def linked_text(passage: PassageHit) -> str:
    """'Superior Grout Bright White 25 lb (SKU 101) and 2 more products', or '' when none links it."""
    if not passage.products:
        return ""
    first = passage.products[0]
    text = f"{' '.join((first.get('name') or '').split())} (SKU {first.get('sku')})"
    more = passage.product_count - 1
    if more > 0:
        text += f" and {more} more product{'s' if more != 1 else ''}"
    return text


MAX_TITLE_CHARS = 200


def search_result(passage: PassageHit) -> dict:
    """The passage as a search_result block: its lines (citable), then where it is from (our
    records: the page and the products linking the document)."""
    title = " ".join(passage.title.split())[:MAX_TITLE_CHARS] or "Document"
    where = f"Page {passage.page} of {title}" + (f", section {' '.join(passage.section.split())}"
                                                  if passage.section else "")
    linked = linked_text(passage)
    where += f"; the document of {linked}." if linked else "."
    return {"type": "search_result", "source": passage.source, "title": title,
            "content": [{"type": "text", "text": passage.text}, {"type": "text", "text": where}],
            "citations": {"enabled": True}}
