from tileshop_pipelines.text.chunks import (
    description_windows,
    format_price,
    product_chunks,
    summary_text,
)

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
    "description": " ".join(f"word{i}" for i in range(300)),
    "specifications": {"MaterialType": "Porcelain", "EdgeType": "Rectified"},
}


def test_summary_states_only_present_facts():
    text = summary_text(RECORD)
    assert "Price: $77.11 per box" in text
    assert "Price per sq. ft.: $12.99 per sq. ft." in text
    assert "Applications: Floor, Light Commercial, Wall" in text
    assert "Color" not in text  # None is not written as "None"
    assert "None" not in text


def test_sqft_priced_product_does_not_repeat_its_price():
    text = summary_text({**RECORD, "price": 12.99, "price_unit": "sqft"})
    assert "Price: $12.99 per sq. ft." in text
    assert "Price per sq. ft." not in text


def test_description_windows_overlap_and_cover_every_word():
    words = [f"w{i}" for i in range(300)]
    windows = description_windows(" ".join(words), window=160, overlap=30)
    assert [len(w.split()) for w in windows] == [160, 160, 40]
    assert windows[1].split()[0] == "w130"  # starts 30 words before the first window's end
    covered = {w for window in windows for w in window.split()}
    assert covered == set(words)


def test_description_windows_empty_and_short():
    assert description_windows("") == []
    assert description_windows("one two three") == ["one two three"]


def test_chunk_ids_are_stable_and_unique():
    first = product_chunks("marmi-684287", RECORD)
    second = product_chunks("marmi-684287", dict(RECORD))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in second]
    assert [c.text_hash for c in first] == [c.text_hash for c in second]
    ids = [c.chunk_id for c in first]
    assert len(ids) == len(set(ids))
    assert ids[0] == "marmi-684287:summary:0"
    assert {c.kind for c in first} == {"summary", "description", "specifications"}
    other = product_chunks("other-1", RECORD)
    assert not set(ids) & {c.chunk_id for c in other}


def test_text_change_changes_hash():
    before = product_chunks("k", RECORD)[0]
    after = product_chunks("k", {**RECORD, "price": 70.0})[0]
    assert before.chunk_id == after.chunk_id
    assert before.text_hash != after.text_hash


def test_format_price():
    assert format_price(None, "box") is None
    assert format_price(1077.1, "each") == "$1,077.10 each"
    assert format_price(24.99, "bag") == "$24.99 per bag"
