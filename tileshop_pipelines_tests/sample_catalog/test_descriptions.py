"""Product descriptions: HTML with entities, 60-200 words, stating the product's attributes."""

from __future__ import annotations

import collections
import html
import re

from tileshop_pipelines.sample_catalog import KNOWN_SKUS


def _words(description_html: str) -> list[str]:
    return html.unescape(re.sub(r"<[^>]+>", " ", description_html)).split()


def test_descriptions_are_html_with_entities_and_state_attributes(full_catalog):
    entities = collections.Counter()
    texts = set()
    for p in full_catalog.products:
        words = _words(p.description_html)
        assert 60 <= len(words) <= 200, (p.path, len(words))
        assert p.description_html.startswith("<p>") and "<ul><li>" in p.description_html
        for entity in ("&amp;", "&#8217;", "&quot;"):
            entities[entity] += entity in p.description_html
        text = " ".join(words).lower()
        texts.add(text)
        if p.kind in ("tile", "stone", "lvt", "laminate", "wood"):
            assert p.specs["Color"].split(",")[0].lower() in text, p.path
            assert p.specs["MaterialType"].lower() in text or p.sku in KNOWN_SKUS, p.path
    assert all(count > 50 for count in entities.values()) and len(entities) == 3
    assert len(texts) == len(full_catalog.products)  # product names alone make them differ
    assert "<strong>" in full_catalog.product("684287").description_html
