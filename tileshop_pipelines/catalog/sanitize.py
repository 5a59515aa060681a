"""Values made storable at the boundary between a page and Postgres, each change with its reason.

Postgres text and jsonb hold no NUL, UTF-8 has no lone surrogates (json.loads makes them from a
"\\ud800" escape), jsonb has no NaN or Infinity, and a float8 or a JSON reader keeps integers
exact only up to 2**53. Before these were stripped here, one such value in one page made the
COPY reject the whole batch, and every run after it stopped on the same page.
"""

from __future__ import annotations

import math
import re

MAX_EXACT_INT = 2**53
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str, where: str = "text") -> tuple[str, list[str]]:
    """`text` without NUL characters and with lone surrogates as U+FFFD; the reasons, if any."""
    if _clean_text(text):  # the common case: no copy
        return text, []
    reasons = []
    nuls = text.count("\x00")
    if nuls:
        text = text.replace("\x00", "")
        reasons.append(f"nul_removed: {where}: {nuls} NUL character(s) removed")
    text, surrogates = _SURROGATE.subn("\ufffd", text)
    if surrogates:
        reasons.append(f"surrogate_replaced: {where}: {surrogates} lone surrogate(s) replaced by U+FFFD")
    return text, reasons


def _clean_text(text: str) -> bool:
    """No NUL and no lone surrogate. `in` is a memchr and an ASCII string (str.isascii() is a flag,
    not a scan) holds no surrogate; a strict UTF-8 encode refuses surrogates several times faster
    than the regex scans for them. A crawl runs this on every page and every value of its record."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(value) -> bool:
    """True when storable_value would return `value` unchanged (the common case), checked without
    copying it or naming the path of every value; exact types only, anything else goes the long way.
    Its strings are checked at once, joined (a lone surrogate stays one when joined, a NUL a NUL):
    a record has about a hundred, and a check per string was most of this walk."""
    texts: list[str] = []
    return _shape_storable(value, texts) and _clean_text("".join(texts))


def _shape_storable(value, texts: list[str]) -> bool:
    kind = type(value)
    if kind is str:
        texts.append(value)
        return True
    if kind is dict:
        try:
            texts.append("".join(value))  # the keys, text only
        except TypeError:
            return False
        items = value.values()
    elif kind is list:
        items = value
    else:
        return _scalar_storable(value, kind)
    for item in items:  # the scalars checked here, not by a call each
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is list or kind is dict:
            if not _all_text(item, texts) and not _shape_storable(item, texts):
                return False
        elif not (item is None or kind is bool or _scalar_storable(item, kind)):
            return False
    return True


def _scalar_storable(value, kind: type) -> bool:
    if value is None or kind is bool:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return -MAX_EXACT_INT <= value <= MAX_EXACT_INT
    return False


def _all_text(container: list | dict, texts: list[str]) -> bool:
    """Whether a list's items, or a dict's keys and values, are all text (a record's
    specifications, provenance, images): then joined in C and added to `texts` as one string."""
    try:
        texts.append(
            "".join(container) + "".join(container.values()) if type(container) is dict else "".join(container)
        )
    except TypeError:
        return False
    return True


def storable_value(value, where: str, reasons: list[str]):
    """`value` (JSON-shaped) made storable, recursively; a number out of range becomes None.
    A value that needs no change is returned as it is (not copied)."""
    if _storable(value):
        return value
    return _made_storable(value, where, reasons)


def _made_storable(value, where: str, reasons: list[str]):
    if isinstance(value, str):
        value, found = storable_text(value, where)
        reasons += found
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        reasons.append(f"number_out_of_range: {where}: {value!r} refused")
        return None
    if isinstance(value, int):
        if abs(value) <= MAX_EXACT_INT:
            return value
        # Its size in bits: str() of an integer past 4,300 digits raises.
        reasons.append(f"number_out_of_range: {where}: a {value.bit_length():,}-bit integer refused")
        return None
    if isinstance(value, dict):
        return {
            _made_storable(key, f"{where} key", reasons): _made_storable(item, f"{where}.{key}", reasons)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_made_storable(item, f"{where}[{i}]", reasons) for i, item in enumerate(value)]
    return value
