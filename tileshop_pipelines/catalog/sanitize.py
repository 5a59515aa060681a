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
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str, where: str = "text") -> tuple[str, list[str]]:
    """`text` without NUL characters and with lone surrogates as U+FFFD; the reasons, if any."""
    if not _UNSTORABLE.search(text):  # the common case: one scan, no copy
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


def storable_value(value, where: str, reasons: list[str]):
    """`value` (JSON-shaped) made storable, recursively; a number out of range becomes None."""
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
        return {storable_value(key, f"{where} key", reasons): storable_value(item, f"{where}.{key}", reasons)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable_value(item, f"{where}[{i}]", reasons) for i, item in enumerate(value)]
    return value
