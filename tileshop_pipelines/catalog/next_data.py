"""``__NEXT_DATA__`` on a product page: its productData, every specification (only from its
Key/Value pairs) and the documents."""

from __future__ import annotations

from tileshop_pipelines.catalog.record import text_value

_NEXT_DATA_PRODUCT_PATH = ("props", "pageProps", "layoutData", "sitecore", "context", "productData")
_SPEC_KEY_PREFIX = "PDPInfo_"


def product_data(next_data) -> dict | None:
    """The productData object of a parsed __NEXT_DATA__ script; None when it has none."""
    value = next_data
    for key in _NEXT_DATA_PRODUCT_PATH:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, dict) else None


def specifications(groups) -> dict[str, str]:
    """Every {"Key": "PDPInfo_<Name>", "Value": "<text>"} pair of every group, as Name -> Value.

    Values are taken only from these pairs, never from page text; a key stated twice keeps its
    first value.
    """
    if isinstance(groups, dict):
        items = [item for group in groups.values() if isinstance(group, list) for item in group]
    elif isinstance(groups, list):
        items = groups
    else:
        return {}
    result: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        key, value = item.get("Key"), item.get("Value")
        if type(key) is str and type(value) is str:  # the common case, text_value inlined (~20 pairs a page)
            key, value = key.strip(), value.strip()
            if not (key and value):
                continue
        else:
            key, value = text_value(key), text_value(value)
            if key is None or value is None:
                continue
        result.setdefault(key.removeprefix(_SPEC_KEY_PREFIX), value)  # a key stated twice keeps its first value
    return result


def documents(value) -> list[dict]:
    result: list[dict] = []
    seen: set[str] = set()
    for document in value if isinstance(value, list) else []:
        if not isinstance(document, dict):
            continue
        url = text_value(document.get("Url"))
        if url and url not in seen:
            seen.add(url)
            result.append({"name": text_value(document.get("Name")), "url": url})
    return result
