"""Product records -> text chunks for embedding and full-text search.

Per product: one summary chunk (the facts a shopper filters on), description chunks (windows of
the model's word pieces, with overlap), one specifications chunk. Chunk ids are
``{product_key}:{kind}:{ordinal}``: stable across runs and unique across the catalog because
product keys are. Only facts present in the record are written.

Description windows are measured in the embedding model's word pieces, so that every chunk fits
the model's input (256 word pieces for all-MiniLM-L6-v2, [CLS] and [SEP] included) and nothing is
silently truncated at encode time. The tokenizer is passed in as `WordPieceSpans` (character spans
of the word pieces of a text), so this module needs no model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_SEQUENCE_WORD_PIECES = 256  # all-MiniLM-L6-v2's max_seq_length
SPECIAL_WORD_PIECES = 2  # [CLS] ... [SEP]
DESCRIPTION_OVERLAP_WORD_PIECES = 32
# Raise when the chunk texts change for the same record: every product is chunked again.
CHUNKER_VERSION = 1


def chunker_signature(model_name: str) -> str:
    """What a product's chunks depend on besides its record: this chunker and the word-piece model."""
    return f"chunker-v{CHUNKER_VERSION}/{model_name}"


# A text -> the (start, end) character span of each of its word pieces, special tokens excluded.
WordPieceSpans = Callable[[str], list[tuple[int, int]]]

_UNIT_LABELS = {"box": "per box", "sqft": "per sq. ft.", "each": "each", "bag": "per bag"}


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    product_key: str
    kind: str  # "summary" | "description" | "specifications"
    ordinal: int
    content: str

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


def format_price(price: float | None, unit: str | None) -> str | None:
    if price is None:
        return None
    label = _UNIT_LABELS.get(unit or "", f"per {unit}" if unit else "")
    return f"${price:,.2f} {label}".strip()


def description_line(record: dict) -> str | None:
    """The filterable facts as one phrase a shopper might type: 'Matte white ceramic tile for
    wall, 12 x 36 in, by The Tile Shop.' (a phrase embeds closer to such questions than label:
    value lines do)."""
    words = [
        record.get("finish"),
        (record.get("color") or "").lower() or None,
        (record.get("material") or "").lower() or None,
        (record.get("category") or "").lower() or None,
    ]
    phrase = " ".join(w for w in words if w)
    applications = [a.lower() for a in record.get("applications") or []]
    if applications:
        phrase += " for " + (", ".join(applications[:-1]) + " and " if len(applications) > 1 else "") + applications[-1]
    if record.get("size"):
        phrase += f", {record['size']}"
    if record.get("brand"):
        phrase += f", by {record['brand']}"
    phrase = phrase.strip(" ,")
    return f"{phrase[:1].upper()}{phrase[1:]}." if phrase else None


def price_line(record: dict) -> str | None:
    """'$77.11 per box, $12.99 per sq. ft.': the selling unit's price first, as the page states it."""
    prices = [format_price(record.get("price"), record.get("price_unit"))]
    if record.get("price_unit") != "sqft":
        prices.append(format_price(record.get("price_per_sqft"), "sqft"))
    return ", ".join(p for p in prices if p) or None


def summary_text(record: dict) -> str:
    """Name, the facts phrase and the price. The SKU is left to the row's metadata (full-text
    indexed there): a line of digits only pulls the summary's embedding away from questions."""
    lines = [record.get("name") or "", description_line(record) or "", price_line(record) or ""]
    return "\n".join(line for line in lines if line)


def facts_text(record: dict) -> str | None:
    """The facts phrase alone. Beside the name and prices of the summary it is a small part of
    that chunk's embedding; alone it is what matches 'gloss white ceramic wall tile 4 x 12'."""
    return description_line({**record, "brand": None})


def spec_label(key: str) -> str:
    """'CountryOfOrigin' -> 'Country of origin': words a shopper (and the tokenizer) recognise."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", key)
    if not words:
        return key
    return " ".join([words[0]] + [w if w.isupper() else w.lower() for w in words[1:]])


def specifications_text(record: dict) -> str | None:
    specs = record.get("specifications") or {}
    if not specs:
        return None
    lines = [f"{record.get('name') or record.get('sku')} specifications"]
    lines += [f"{spec_label(key)}: {value}" for key, value in specs.items()]
    return "\n".join(lines)


def description_windows(
    text: str, word_piece_spans: WordPieceSpans, budget: int, overlap: int = DESCRIPTION_OVERLAP_WORD_PIECES
) -> list[str]:
    """Slices of `text` of at most `budget` word pieces each; consecutive slices share about
    `overlap` word pieces. Slices start and end on word boundaries unless a single word is longer
    than the budget, and together they cover every word piece."""
    if budget <= overlap:
        raise ValueError(f"word piece budget ({budget}) must exceed the overlap ({overlap})")
    spans = word_piece_spans(text)
    if not spans:
        return []
    # A word starts at piece i when whitespace (or the text's start) precedes it.
    starts_word = [i == 0 or spans[i][0] > spans[i - 1][1] for i in range(len(spans))]
    windows = []
    first = 0
    while True:
        end = min(first + budget, len(spans))  # exclusive
        if end < len(spans):
            snapped = max((i for i in range(first + 1, end + 1) if starts_word[i]), default=end)
            end = snapped if snapped > first + overlap else end
        windows.append(text[spans[first][0] : spans[end - 1][1]])
        if end >= len(spans):
            return windows
        target = max(end - overlap, first + 1)
        first = next((i for i in range(target, end) if starts_word[i]), target)


def chunk_product(
    product_key: str, record: dict, word_piece_spans: WordPieceSpans, max_word_pieces: int = MAX_SEQUENCE_WORD_PIECES
) -> list[Chunk]:
    def chunk(kind: str, ordinal: int, content: str) -> Chunk:
        return Chunk(f"{product_key}:{kind}:{ordinal}", product_key, kind, ordinal, content)

    chunks = [chunk("summary", 0, summary_text(record))]
    facts = facts_text(record)
    if facts:
        chunks.append(chunk("facts", 0, facts))
    name = record.get("name") or ""
    # Each description chunk repeats the product name, so it is retrievable on its own.
    prefix = f"{name}\n" if name else ""
    budget = max_word_pieces - SPECIAL_WORD_PIECES - len(word_piece_spans(prefix))
    for i, window in enumerate(description_windows(record.get("description") or "", word_piece_spans, budget=budget)):
        chunks.append(chunk("description", i, prefix + window))
    specs = specifications_text(record)
    if specs:
        chunks.append(chunk("specifications", 0, specs))
    return chunks
