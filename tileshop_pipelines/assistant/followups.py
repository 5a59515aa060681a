"""Follow-up questions: "does it come in white?" searched together with what "it" was.

A question that points back at the conversation (it, its, this, these, those, they, them, their)
says too little to retrieve by: alone, "how much does it cost?" finds whatever mentions cost.
Searched together with the shopper's previous question, it finds the products that were being
talked about (their name, SKU and filters come from that earlier question). A question that names
its own subject is searched as it stands.
"""

from __future__ import annotations

import re

REFERS_BACK = re.compile(r"\b(it|its|this|these|those|they|them|their)\b", re.IGNORECASE)
MAX_CONTEXT_CHARS = 500  # of the earlier question; the search text stays short


def search_text(question: str, history: list[dict]) -> str:
    """The text to retrieve products by: the question, preceded by the shopper's previous question
    when this one refers back to it."""
    if not REFERS_BACK.search(question):
        return question
    for message in reversed(history):
        if message["role"] == "user" and message["content"].strip():
            return f"{message['content'].strip()[:MAX_CONTEXT_CHARS]} {question}"
    return question
