"""Product records -> text chunks for embedding.

Chunk ids are ``{product_key}:{kind}:{ordinal}``: stable across runs and unique across the
catalog because product keys are. Only facts present in the record are written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DESCRIPTION_WINDOW_WORDS = 160
DESCRIPTION_OVERLAP_WORDS = 30

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


def summary_text(record: dict) -> str:
    lines = [record.get("name") or ""]
    facts = [
        ("SKU", record.get("sku")),
        ("Brand", record.get("brand")),
        ("Category", record.get("category")),
        ("Price", format_price(record.get("price"), record.get("price_unit"))),
        ("Price per sq. ft.", format_price(record.get("price_per_sqft"), "sqft")
         if record.get("price_unit") != "sqft" else None),
        ("Size", record.get("size")),
        ("Color", record.get("color")),
        ("Finish", record.get("finish")),
        ("Material", record.get("material")),
        ("Applications", ", ".join(record.get("applications") or []) or None),
    ]
    lines += [f"{label}: {value}" for label, value in facts if value not in (None, "")]
    return "\n".join(line for line in lines if line)


def description_windows(text: str, window: int = DESCRIPTION_WINDOW_WORDS,
                        overlap: int = DESCRIPTION_OVERLAP_WORDS) -> list[str]:
    words = text.split()
    if not words:
        return []
    if window <= overlap:
        raise ValueError(f"window ({window}) must exceed overlap ({overlap})")
    step = window - overlap
    windows = []
    for start in range(0, len(words), step):
        windows.append(" ".join(words[start:start + window]))
        if start + window >= len(words):
            break
    return windows


def specifications_text(record: dict) -> str | None:
    specs = record.get("specifications") or {}
    if not specs:
        return None
    lines = [f"{record.get('name') or record.get('sku')} specifications"]
    lines += [f"{key}: {value}" for key, value in specs.items()]
    return "\n".join(lines)


def product_chunks(product_key: str, record: dict) -> list[Chunk]:
    def chunk(kind: str, ordinal: int, content: str) -> Chunk:
        return Chunk(f"{product_key}:{kind}:{ordinal}", product_key, kind, ordinal, content)

    chunks = [chunk("summary", 0, summary_text(record))]
    name = record.get("name") or ""
    for i, window in enumerate(description_windows(record.get("description") or "")):
        chunks.append(chunk("description", i, f"{name}\n{window}" if name else window))
    specs = specifications_text(record)
    if specs:
        chunks.append(chunk("specifications", 0, specs))
    return chunks
