"""catalog.record: the description's text, read with its blocks joined for one pass in C, is what
reading it block by block gives."""

from __future__ import annotations

import random
from html import unescape

from tileshop_pipelines.catalog import record
from tileshop_pipelines.catalog.record import collapse_whitespace, description_text, text_value


def _block_by_block(description) -> tuple[str | None, bool]:
    """description_text as it was: each block unescaped and collapsed in its own turn."""
    text = text_value(description)
    if text is None:
        return None, False
    if "<" not in text and "&lt;" in text:
        text = unescape(text)
    parts = record._DESCRIPTION_TOKEN.split(text)
    blocks, current = [], [parts[0]]
    for at in range(2, len(parts), 3):
        tag = parts[at]
        if tag and tag.lower() in record._BLOCK_TAGS:
            blocks.append("".join(current))
            current = [parts[at + 1]]
        else:
            current.append(parts[at + 1])
    blocks.append("".join(current))
    lines, live_markup = [], False
    for block in blocks:
        line = unescape(block)
        if "<" not in line:
            lines.append(collapse_whitespace(line))
            continue
        for _ in range(3):
            stripped = record._DESCRIPTION_TOKEN.sub(" ", line)
            if stripped == line:
                break
            live_markup, line = True, unescape(stripped)
        if record._TAG_START.search(line):
            live_markup, line = True, record._TAG_START.sub("\u2039", line)
        lines.append(collapse_whitespace(line))
    return "\n".join(line for line in lines if line) or None, live_markup


PIECES = [
    "<p>",
    "</p>",
    "<P>",
    "<li>",
    "</LI>",
    "<br/>",
    "<ul>",
    "<strong>",
    "</strong>",
    "<span class='x'>",
    '<div class="a>b">',
    "<!-- a <p> comment -->",
    "<script>x<p>y</script>",
    "<STYLE>p{}</style>",
    "<h2>",
    "&amp;",
    "&lt;p&gt;",
    "&lt;img src=x onerror=y&gt;",
    "&amp;lt;b&amp;gt;",
    "&#10;",
    "&#1;",
    "&#x1;",
    "&lt",
    "&am",
    "&",
    "&#0;",
    "&#8217;",
    "&nbsp;",
    "&notit;",
    ";",
    "hello",
    "Tile",
    " ",
    "\n",
    "\t",
    "\x01",
    "a < b",
    "x > y",
    "café",
    "\u2028",
    "<",
    "<b",
    "<!--",
    "-->",
    "12 x 24 in",
]


def test_joined_blocks_read_as_block_by_block():
    rng = random.Random(11)
    cases = ["", "   ", "\x01", "plain", "<p>one</p><p>two &amp; three</p>", 17, None]
    cases += ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30))) for _ in range(20_000)]
    for case in cases:
        assert description_text(case) == _block_by_block(case), repr(case)
