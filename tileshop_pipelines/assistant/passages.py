"""Questions -> passages of the store's documents (installation instructions, data sheets, safety
data sheets, care guides, warranties), each naming its document, page and the products that link it.

- `retrieve_passages`: the passages of the documents linked by the products a question names (by
  SKU) first, then hybrid search over every passage (store.document_search); given the query
  encoder, the passages of the documents the question names are then ranked by what it asks of
  them (`asked_part`: the question without the words naming the document).
- `documents_answer`: whether the documents answer a question, rather than (or beside) the products:
  it asks how (install, cure, mix, which trowel, can X go over Y, when does X need Y), or its
  nearest passage is nearer to it than its nearest product chunk by `DOCUMENT_MARGIN` (same model,
  same space), or it names a document and what it asks of it is nearer a passage than a product.
- `quote`: the lines of a passage an offline answer quotes, as data: one line each, no control
  characters, at most `MAX_QUOTE_CHARS`.
- `search_result`: a passage as the Messages API's search_result block (title: the document,
  source: its address at the page, citations on), the one form Claude reads passages in, in the
  question's message and in tool results alike: the document's text is data inside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet

import numpy as np
import psycopg
from pydantic import BaseModel, ConfigDict

from tileshop_pipelines.store.document_search import (
    document_passages,
    hybrid_search_documents,
    linked_products,
    match_documents,
    product_documents,
)
from tileshop_pipelines.store.search import match_products
from tileshop_pipelines.text.document_chunks import passage_text

PASSAGES_PER_QUESTION = 3
# Hybrid search's candidates per passage wanted. Its fusion ranks the best 2 x match_count of each
# list, so asking it for 3 and for 12 can order the first 3 differently; the best 3 of 12 are what
# the passages are chosen from.
CANDIDATES_PER_PASSAGE = 4
# A question names a document when it has at least this many of the words of the best candidate's
# title ("Superior LFT Bond Mortar": 4); one shared word ("tile") names nothing.
MIN_NAMING_WORDS = 2
# How much nearer (cosine) a question's nearest passage must be than its nearest product chunk for
# the documents to answer a question that does not read as how-to. Measured on `tileshop eval`'s
# questions (docs/search.md), 500 products: at 0.05, 96% of the how-to suite's questions and 1% of
# the product questions (retrieval and task suites) pass the margin; at 0, 100% and 13% (60
# products: 95%/5%). With asks_how and what a question naming a document asks of it (the encoder
# given), documents_answer takes all 322 how-to questions and 2 of the 240 product questions
# (0.8%: a product's full name, "what grout goes with <SKU>?"); our own 30 paraphrases
# (tileshop_pipelines_tests/assistant/test_passages.py) 30, 28 without the encoder.
DOCUMENT_MARGIN = 0.05
MAX_QUOTE_CHARS = 500
_TIMES = r"(?:minutes|hours|days|weeks|months|years)\b"
_ASKS_HOW = re.compile(
    r"\b(how\s+(?:do|does|can|should|would|to|long|soon|thick|often|far|wide)|can\s+(?:i|you|we|it|they)\b"
    r"|how\s+much\s+(?:area|water|gap|stagger|\w+\s+(?:do|does|should|per))|how\s+many\s+(?:more\s+)?"
    + _TIMES
    + r"|can\s+(?:[\w,.&%/'-]+\s+){1,8}?(?:go|be\s+(?:installed|used|laid|put|applied))\b"
    r"|do\s+i\s+(?:need|have)\s+to|is\s+it\s+(?:ok|safe)"
    r"|when\s+(?:can|do|does|is|are|should|must)|what\s+(?:size\s+)?trowel|which\s+trowel"
    r"|trowel\s+(?:size|notch)|notch|install(?:ing|ation)?"
    r"|acclimat\w*|expansion\s+gap|pot\s+life|cur(?:e|ing)\s+time|before\s+(?:i\s+can\s+)?grout(?:ing)?"
    r"|substrates?|subfloors?"
    r"|slab|mix(?:ing)?\s+ratio|safety|hazard\w*|warrant(?:y|ies)|care\s+for|clean(?:ing)?\s+(?:it|them|the)|seal(?:ing)?)\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z0-9/]+")
_STOP = frozenset(
    "a an and are as at be by can do does for from how i in is it its my of on or should the to "
    "what when which with you your we our".split()
)


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
        return {
            "document": self.title,
            "url": self.url,
            "page": self.page,
            "source": self.source,
            "section": self.section,
            "text": self.text,
            "score": self.score,
            "products": [{k: p[k] for k in ("sku", "name", "url")} for p in self.products],
            "product_count": self.product_count,
            "quoted": quoted,
        }


_HOW_MANY = re.compile(r"\bhow\s+many\b(?!\s+(?:more\s+)?" + _TIMES + r")", re.IGNORECASE)


def asks_how(question: str) -> bool:
    """How to install, mix, cure; which trowel; can X go over Y; when does X need Y. "How many" asks
    for a count (the estimate tool's boxes), not how, unless it counts time ("how many hours")."""
    return bool(_ASKS_HOW.search(question)) and not _HOW_MANY.search(question)


_LETTERED_WORD = re.compile(r"[^\W\d_]{2,}")


def documents_answer(
    conn: psycopg.Connection,
    question: str,
    query_embedding: np.ndarray,
    embed: Callable[[str], np.ndarray] | None = None,
) -> bool:
    """It asks how (`asks_how`), or its nearest passage is nearer to it than its nearest product
    chunk by `DOCUMENT_MARGIN`, or (given the query encoder) it names the nearest passage's document
    and what it asks of it (`asked_part`) is nearer a passage than any product chunk: a product's
    name is as near its own chunks as its documents' passages, so the whole question's margin says
    little when the question names one. A question of figures alone (a SKU) looks a product up."""
    if asks_how(question):
        return True
    if not _LETTERED_WORD.search(question):
        return False
    passage = match_documents(conn, query_embedding, 1)
    if not passage:
        return False
    product = match_products(conn, query_embedding, 1)
    if not product or passage[0]["score"] - product[0]["score"] > DOCUMENT_MARGIN:
        return True
    naming = naming_words(question, passage[0]["metadata"].get("title") or "")
    asked = asked_part(question, naming)
    if embed is None or len(naming) < MIN_NAMING_WORDS or not asked.strip():
        return False
    asked_embedding = embed(asked)
    passage, product = match_documents(conn, asked_embedding, 1), match_products(conn, asked_embedding, 1)
    return bool(passage) and (not product or passage[0]["score"] > product[0]["score"])


def _hits(conn: psycopg.Connection, rows: list[dict]) -> list[PassageHit]:
    links = linked_products(conn, list({row["document_id"] for row in rows}))
    hits = []
    for row in rows:
        meta, linked = row["metadata"], links.get(row["document_id"], {"count": 0, "products": []})
        hits.append(
            PassageHit(
                id=row["id"],
                document_id=row["document_id"],
                title=meta.get("title") or "Document",
                url=meta.get("url") or "",
                page=row["page_number"],
                section=meta.get("section"),
                text=passage_text(row["content"]) or row["content"],
                score=round(float(row["score"]), 4),
                products=tuple(linked["products"]),
                product_count=linked["count"],
            )
        )
    return hits


def retrieve_passages(
    conn: psycopg.Connection,
    question: str,
    query_embedding: np.ndarray,
    *,
    limit: int = PASSAGES_PER_QUESTION,
    product_keys: list[str] | None = None,
    only_these_products: bool = False,
    embed: Callable[[str], np.ndarray] | None = None,
) -> list[PassageHit]:
    """The passages that best answer the question: of the named products' documents first (by the
    hybrid search's score over their passages), then (unless `only_these_products`) the best of all
    documents' passages by hybrid search; each once. With `embed` (the query encoder), the passages
    of the documents the question names are ranked by what it asks (`by_what_it_asks`)."""
    candidates = limit * CANDIDATES_PER_PASSAGE
    products_documents = product_documents(conn, product_keys) if product_keys else []
    rows = document_passages(conn, products_documents, question, query_embedding)[:candidates]
    if not only_these_products:
        seen = {row["id"] for row in rows}
        rows += [
            row for row in hybrid_search_documents(conn, question, query_embedding, candidates) if row["id"] not in seen
        ]
    if embed is not None and rows:
        rows = by_what_it_asks(conn, question, rows, embed, set(products_documents))
    return _hits(conn, rows[:limit])


def naming_words(question: str, title: str) -> set[str]:
    """The words of a document's title the question has (stop words aside): how it names it."""
    return _words(question) & _words(title)


def asked_part(question: str, naming: set[str]) -> str:
    """The question without the runs of words naming the document (two naming words or more, stop
    words between them): what it asks of it ("How long can I use ARDEX X 3 Tile and Stone Mortar
    once it's mixed?" -> "How long can I use once it's mixed?"). A naming word on its own stays:
    "wait to grout tile set with Superior Grout" asks about grouting."""
    tokens = question.split()
    kinds = []  # per token: "name", "stop" or "other"
    for token in tokens:
        words = _words(token, stop=frozenset())
        kinds.append("name" if words and words <= naming else "stop" if words and not words - _STOP else "other")
    kept, i = [], 0
    while i < len(tokens):
        if kinds[i] == "name":
            end, last = i, i
            while end < len(tokens) and kinds[end] != "other":
                last = end if kinds[end] == "name" else last
                end += 1
            if sum(kind == "name" for kind in kinds[i : last + 1]) >= MIN_NAMING_WORDS:
                i = last + 1
                continue
        kept.append(tokens[i])
        i += 1
    return " ".join(kept)


def named_documents(question: str, rows: list[dict]) -> set[int]:
    """The candidates' documents the question names: those whose titles have all the words naming
    the best candidate's (at least `MIN_NAMING_WORDS`) and, of each kind of document, the ones it
    names most completely (fewest words of the title it lacks, the kind's own aside): "Superior
    Unsanded Grout" names that grout's data sheet and safety data sheet, not the data sheet of
    "Superior Excel Unsanded Grout"."""
    naming = naming_words(question, rows[0]["metadata"].get("title") or "")
    if len(naming) < MIN_NAMING_WORDS:
        return set()
    asked = _words(question)
    lacking: dict[str, dict[int, int]] = {}  # kind -> document -> words of its title the question lacks
    for row in rows:
        meta = row["metadata"]
        title, kind = _words(meta.get("title") or ""), meta.get("name") or ""
        if naming <= title:
            lacking.setdefault(kind, {})[row["document_id"]] = len(title - _words(kind) - asked)
    return {
        document_id
        for documents in lacking.values()
        for document_id, count in documents.items()
        if count == min(documents.values())
    }


def by_what_it_asks(
    conn: psycopg.Connection,
    question: str,
    rows: list[dict],
    embed: Callable[[str], np.ndarray],
    named: AbstractSet[int] = frozenset(),
) -> list[dict]:
    """The candidates with the passages of the documents the question names first (`named`: the
    named products' documents, and `named_documents`): every passage of those documents, by its
    nearness to what the question asks of them (`asked_part`), the document holding the nearest
    first. A question whose words name no document keeps the candidates' order. Hybrid search
    finds the document (its title's words and the whole question); within it the product's name,
    in every passage, says nothing of which passage answers, and the words of what it asks are too
    few for full text (vector ranks alone: full_text_weight 0)."""
    named = set(named) | named_documents(question, rows)
    asked = asked_part(question, naming_words(question, rows[0]["metadata"].get("title") or ""))
    if not named or not asked.strip() or asked == " ".join(question.split()):
        return rows  # nothing names a document: the hybrid search's order stands
    passages = document_passages(conn, sorted(named), asked, embed(asked), full_text_weight=0.0)
    best: dict[int, float] = {}
    for row in passages:
        best.setdefault(row["document_id"], row["score"])  # best first
    passages.sort(key=lambda row: -best[row["document_id"]])  # stable: best first within a document
    return passages + [row for row in rows if row["document_id"] not in named]


def _words(text: str, stop: frozenset[str] = _STOP) -> set[str]:
    return {w for w in _WORDS.findall(text.lower()) if w not in stop}


def _terms(text: str) -> set[str]:
    return {w.rstrip("s") if len(w) > 3 else w for w in _WORDS.findall(text.lower()) if w not in _STOP}


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def quote(passage: PassageHit, question: str, max_chars: int = MAX_QUOTE_CHARS) -> list[str]:
    """The passage's lines to quote (its sentences, a table's rows): all of them when they fit, else
    the run of consecutive ones around the one sharing most words with the question, grown one at a
    time (after, then before) while it fits."""
    lines = [
        sentence
        for line in passage.text.splitlines()
        if line.strip()
        for sentence in _SENTENCE_END.split(" ".join(line.split()))
    ]
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
    where = f"Page {passage.page} of {title}" + (
        f", section {' '.join(passage.section.split())}" if passage.section else ""
    )
    linked = linked_text(passage)
    where += f"; the document of {linked}." if linked else "."
    return {
        "type": "search_result",
        "source": passage.source,
        "title": title,
        "content": [{"type": "text", "text": passage.text}, {"type": "text", "text": where}],
        "citations": {"enabled": True},
    }
