from itertools import pairwise

import pytest

from tileshop_pipelines.catalog.extract import extract_product
from tileshop_pipelines.embedding.model import word_piece_spans
from tileshop_pipelines.sample_catalog import build_catalog
from tileshop_pipelines.sample_catalog.render import product_page
from tileshop_pipelines.text.chunks import (
    MAX_SEQUENCE_WORD_PIECES,
    chunk_product,
    description_windows,
    format_price,
    spec_label,
    specifications_text,
    summary_text,
)

SPANS = word_piece_spans()  # the real MiniLM tokenizer (tokenizers library, no model load)

RECORD = {
    "sku": "684287",
    "name": "Marmi Imperiali Zenobia Porcelain Wall and Floor Tile 12 x 12 in",
    "brand": "The Tile Shop",
    "category": "Porcelain Tile",
    "price": 77.11,
    "price_unit": "box",
    "price_per_sqft": 12.99,
    "size": "12 x 12 in",
    "color": None,
    "material": "Porcelain",
    "applications": ["Floor", "Light Commercial", "Wall"],
    "description": " ".join(f"porcelain{i}" for i in range(300)),
    "specifications": {"MaterialType": "Porcelain", "EdgeType": "Rectified", "CountryOfOrigin": "Italy"},
}


def _pieces(text: str) -> int:
    return len(SPANS(text))


def test_summary_states_only_present_facts():
    text = summary_text({**RECORD, "color": "Beige, White", "finish": "Polished"})
    assert text.splitlines() == [
        RECORD["name"],
        "Polished beige, white porcelain porcelain tile for floor, light commercial and wall, 12 x 12 in, "
        "by The Tile Shop.",
        "$77.11 per box, $12.99 per sq. ft.",
    ]
    text = summary_text(RECORD)  # no color, no finish
    assert "Porcelain porcelain tile for floor" in text
    assert "None" not in text


def test_sqft_priced_product_does_not_repeat_its_price():
    text = summary_text({**RECORD, "price": 12.99, "price_unit": "sqft"})
    assert text.endswith("\n$12.99 per sq. ft.")


def test_a_record_without_facts_still_has_a_summary():
    chunks = chunk_product("k", {"name": "Snow corner shelf"}, SPANS)
    assert [(c.kind, c.content) for c in chunks] == [("summary", "Snow corner shelf")]


def test_facts_chunk_is_the_attribute_phrase():
    chunk = next(c for c in chunk_product("k", RECORD, SPANS) if c.kind == "facts")
    assert chunk.content == "Porcelain porcelain tile for floor, light commercial and wall, 12 x 12 in."


def test_specifications_use_readable_labels():
    text = specifications_text(RECORD)
    assert "Material type: Porcelain" in text
    assert "Country of origin: Italy" in text
    assert spec_label("SurfaceAbrasion") == "Surface abrasion"
    assert spec_label("PDFLink") == "PDF link"


def test_description_windows_fit_the_budget_overlap_and_cover_every_piece():
    text = " ".join(f"porcelain{i}" for i in range(300))  # several word pieces per word
    windows = description_windows(text, SPANS, budget=100, overlap=20)
    assert len(windows) > 3
    assert all(_pieces(w) <= 100 for w in windows)
    words = text.split()
    covered = [w for window in windows for w in window.split()]
    assert set(covered) == set(words)  # nothing lost
    assert all(w in words for w in covered)  # windows end on word boundaries here
    for before, after in pairwise(windows):
        shared = set(before.split()) & set(after.split())
        assert 0 < sum(_pieces(w) for w in shared) <= 20 + 10  # ~overlap, snapped to whole words


def test_a_word_longer_than_the_budget_is_cut_not_dropped():
    long_word = "x" * 400  # one word of many word pieces
    windows = description_windows(f"tile {long_word} grout", SPANS, budget=50, overlap=10)
    assert all(_pieces(w) <= 50 for w in windows)
    assert windows[0].startswith("tile") and windows[-1].endswith("grout")


def test_description_windows_empty_short_and_bad_budget():
    assert description_windows("", SPANS, budget=100) == []
    assert description_windows("one two three", SPANS, budget=100) == ["one two three"]
    with pytest.raises(ValueError, match="must exceed the overlap"):
        description_windows("a b c", SPANS, budget=10, overlap=10)


def test_every_chunk_fits_the_model_input():
    chunks = chunk_product("marmi-684287", RECORD, SPANS)
    descriptions = [c for c in chunks if c.kind == "description"]
    assert len(descriptions) >= 2
    assert all(c.content.startswith(RECORD["name"] + "\n") for c in descriptions)
    assert all(_pieces(c.content) + 2 <= MAX_SEQUENCE_WORD_PIECES for c in chunks)  # + [CLS], [SEP]


def test_sample_catalog_chunks_fit_and_are_unique():
    catalog = build_catalog(n_products=120, seed=7)
    ids = []
    for product in catalog.products:
        record = extract_product(product_page(product, "http://127.0.0.1"), f"http://127.0.0.1{product.path}")
        chunks = chunk_product(product.path, record, SPANS)
        assert {c.kind for c in chunks} >= {"summary", "description"}
        assert all(_pieces(c.content) + 2 <= MAX_SEQUENCE_WORD_PIECES for c in chunks), product.path
        ids += [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))


def test_chunk_ids_are_stable_and_unique():
    first = chunk_product("marmi-684287", RECORD, SPANS)
    second = chunk_product("marmi-684287", dict(RECORD), SPANS)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]
    assert [c.text_hash for c in first] == [c.text_hash for c in second]
    ids = [c.chunk_id for c in first]
    assert len(ids) == len(set(ids))
    assert ids[0] == "marmi-684287:summary:0"
    assert ids[1:4] == ["marmi-684287:facts:0", "marmi-684287:description:0", "marmi-684287:description:1"]
    assert {c.kind for c in first} == {"summary", "facts", "description", "specifications"}
    other = chunk_product("other-1", RECORD, SPANS)
    assert not set(ids) & {c.chunk_id for c in other}


def test_text_change_changes_hash():
    before = chunk_product("k", RECORD, SPANS)[0]
    after = chunk_product("k", {**RECORD, "price": 70.0}, SPANS)[0]
    assert before.chunk_id == after.chunk_id
    assert before.text_hash != after.text_hash


def test_format_price():
    assert format_price(None, "box") is None
    assert format_price(1077.1, "each") == "$1,077.10 each"
    assert format_price(24.99, "bag") == "$24.99 per bag"
