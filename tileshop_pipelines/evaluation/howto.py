"""The how-to suite: questions whose answer one sample document states, asked as shoppers ask them,
scored on retrieval (recall@5 of the right passage: its document and page) and on the offline
answer (it quotes the fact and names the document and the page).

Questions come from the sample catalog's facts table (sample_catalog.documents: each fact with its
document, page, section and the sentence or table row printing it), for the documents the
catalog's products name. A question names the document's subject ("Superior LFT Bond Mortar",
"laminate flooring") and, for a table row, the row's condition (the tile size, the notch); a fact
is asked only when no other document of that subject states the same thing, so exactly one
document answers it. Each fact is asked in two of its phrasings.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from tileshop_pipelines.sample_catalog import Catalog
from tileshop_pipelines.sample_catalog.documents import DOCUMENTS, SampleDocument, document_path, normalized

K = 5
PHRASINGS_PER_FACT = 2
_KIND_WORDS = re.compile(
    r"\s+(technical data sheet|safety data sheet|installation instructions|limited warranty|"
    r"warranty|care guide)$",
    re.IGNORECASE,
)
# Per fact key, how shoppers ask it; {s} is the document's subject, {c} the row's condition.
PHRASINGS: dict[str, tuple[str, ...]] = {
    "pot life": (
        "How long can I use {s} once it's mixed?",
        "what's the pot life of {s}",
        "How long does mixed {s} stay workable in the bucket?",
    ),
    "open time": ("How long can {s} sit on the floor before I set the tile?", "what is the open time of {s}?"),
    "time before grouting": (
        "How long do I have to wait to grout tile set with {s}?",
        "when can I grout after setting tile in {s}",
    ),
    "foot traffic": ("When can I walk on tile installed with {s}?", "how soon can we walk on it after using {s}?"),
    "full cure": ("How long does {s} take to cure fully?", "when is {s} fully cured"),
    "mixing water": ("How much water do I mix with a bag of {s}?", "what's the water ratio for mixing {s}?"),
    "concrete cure": (
        "How long does new concrete have to cure before I use {s} on it?",
        "can I install {s} over a new concrete slab right away?",
    ),
    "substrates": ("What surfaces can {s} go over?", "can I install tile with {s} over a concrete slab or plywood?"),
    "unsuitable substrates": ("What should I not install {s} over?", "which subfloors are a no-go for {s}?"),
    "trowel notch": ("What trowel should I use with {s} for {c} tile?", "which notch trowel for {c} tiles with {s}?"),
    "mortar coverage": (
        "How much area does a bag of {s} cover with a {c}?",
        "what's the coverage of {s} using a {c} trowel?",
    ),
    "maximum bond coat": ("How thick can I apply {s}?", "what's the maximum bond coat thickness for {s}?"),
    "time before sealing": ("How long should I wait before sealing {s}?", "when can I seal after using {s}?"),
    "dry time": ("How long does {s} take to dry before I can walk on it?", "when can I walk on the floor after {s}?"),
    "dwell time": ("How long do I leave {s} on before scrubbing?", "how long should {s} sit before I rinse it?"),
    "dilution": ("How do I dilute {s}?", "how much {s} do I mix per gallon of water?"),
    "skin time": ("How long do I have to tool {s} before it skins over?", "when do I need to smooth {s}?"),
    "reapplication": ("How often do I need to reapply {s}?", "how long does {s} last before resealing?"),
    "time before water exposure": (
        "How long do I keep water off after using {s}?",
        "when can I use the shower after {s}?",
    ),
    "wait after grouting": ("How long after grouting can I use {s}?", "how long should grout cure before {s}?"),
    "joint width": ("What joint widths can I use {s} for?", "how wide a grout joint can {s} fill?"),
    "maximum joint width": ("What's the widest joint {s} can seal?", "how wide a gap can I fill with {s}?"),
    "acclimation": (
        "How long should {s} acclimate before I install it?",
        "do I need to let {s} sit in the room first?",
    ),
    "acclimation temperature": (
        "What temperature should the room be when installing {s}?",
        "how warm should the room be for {s} to acclimate?",
    ),
    "relative humidity": (
        "What humidity should the room be for installing {s}?",
        "how humid can it be when laying {s}?",
    ),
    "expansion gap": ("How big an expansion gap does {s} need at the walls?", "how much gap do I leave around {s}?"),
    "maximum run": (
        "How long a run can {s} go before it needs a transition?",
        "when does {s} need a T-molding between rooms?",
    ),
    "underlayment": ("Do I need underlayment under {s}?", "what underlayment should go under {s}?"),
    "end joint stagger": ("How far should I stagger the end joints of {s}?", "how much stagger between rows of {s}?"),
    "radiant heat": ("Can I put {s} over radiant floor heat?", "how hot can radiant heat get under {s}?"),
    "concrete moisture limit": (
        "How do I test concrete moisture before installing {s} with a {c} test?",
        "what reading should the {c} test show before laying {s}?",
    ),
    "vapor barrier": (
        "Do I need a vapor barrier under {s} over concrete?",
        "what vapor barrier goes under {s} on a slab?",
    ),
    "residential warranty": (
        "How long is the warranty on {s} in a home?",
        "what warranty does {s} have for residential use?",
    ),
    "light commercial warranty": (
        "What's the light commercial warranty of {s}?",
        "how long is {s} warranted in a light commercial space?",
    ),
    "sealing interval": ("How often should I reseal {s}?", "how often does {s} need resealing?"),
    "poultice time": ("How do I get an oil stain out of {s}?", "how long should a poultice stay on {s}?"),
    "cleaner dilution": ("How should I mop {s} floors?", "how much cleaner per gallon of water for {s}?"),
    "flood test": ("How long should I flood test a shower pan with {s}?", "do I need to flood test {s} before tiling?"),
    "seam overlap": ("How much should the seams of {s} overlap?", "how do I handle the seams of {s}?"),
    "time before tiling": ("How soon can I tile over {s}?", "when can I install flooring over {s}?"),
    "maximum thickness": ("How thick can I apply {s} in one coat?", "what's the maximum thickness for {s}?"),
    "admixture per bag": ("How much {s} do I use for a bag of grout?", "how do I mix {s} with sanded grout?"),
}


@dataclasses.dataclass(frozen=True)
class HowToQuestion:
    text: str
    key: str  # the fact's key
    document: str  # the document's CDN path
    title: str  # the title its first page prints
    page: int
    statement: str  # the sentence or row stating the answer


def subject(doc: SampleDocument) -> str:
    """What a shopper calls the document's product line: its title without the kind of document."""
    return _KIND_WORDS.sub("", doc.title).strip()


def _condition(key: str, conditions: dict) -> str | None:
    if key == "trowel notch":
        return conditions["tile size"].removeprefix("up to ").removesuffix(" and larger")
    if key == "mortar coverage":
        return conditions["trowel notch"]
    if key == "concrete moisture limit":
        return conditions["test"].split(" (")[0]
    return None


def build_howto_questions(catalog: Catalog, seed: int = 7) -> list[HowToQuestion]:
    """Two phrasings of each askable fact of the documents the catalog's products name."""
    linked = {document_path(d["Url"]) for p in catalog.products for d in p.documents}
    documents = [doc for path, doc in sorted(DOCUMENTS.items()) if path in linked]
    by_subject: dict[tuple[str, str], set[str]] = defaultdict(set)  # (subject, key) -> documents stating it
    for doc in DOCUMENTS.values():
        for fact in doc.facts:
            by_subject[(subject(doc).lower(), fact.key)].add(doc.path)
    rng = random.Random(f"howto-{seed}")
    questions = []
    for doc in documents:
        for fact in doc.facts:
            phrasings = PHRASINGS.get(fact.key)
            if not phrasings or by_subject[(subject(doc).lower(), fact.key)] != {doc.path}:
                continue
            condition = _condition(fact.key, dict(fact.conditions))
            same_key = [f for f in doc.facts if f.key == fact.key]
            if len(same_key) > 1 and condition is None:
                continue  # several rows answer it and the question could not say which
            for text in rng.sample(phrasings, min(PHRASINGS_PER_FACT, len(phrasings))):
                questions.append(
                    HowToQuestion(
                        text.format(s=subject(doc), c=condition),
                        fact.key,
                        doc.path,
                        doc.title,
                        fact.page,
                        fact.statement,
                    )
                )
    return questions


def right_passage(passage: dict, question: HowToQuestion) -> bool:
    """A passage (PassageHit.public()) from the question's document and page."""
    return document_path(passage["url"]) == question.document and passage["page"] == question.page


_QUOTE_BREAK = re.compile(r"\n *> ")  # a quotation's next line (indented inside a numbered item)


def answer_problems(answer: str, question: HowToQuestion) -> list[str]:
    """What the offline answer lacks: the fact as stated, and its document named with the page."""
    problems = []
    if normalized(question.statement).lower() not in normalized(_QUOTE_BREAK.sub(" ", answer)).lower():
        problems.append("does not quote the fact")
    named = re.compile(rf"^\d+\. {re.escape(question.title)}.*, page {question.page}\b", re.IGNORECASE | re.MULTILINE)
    if not named.search(answer):
        problems.append(f"does not name {question.title!r}, page {question.page}")
    return problems


def evaluate_howto(
    questions: list[HowToQuestion],
    search: Callable[[str, np.ndarray], list[dict]],
    embed: Callable[[list[str]], np.ndarray],
    answer: Callable[[str], dict],
    k: int = K,
) -> dict:
    """{"questions", "recall@5", "answered", "answer_score", "by_key": {key: {...}}, "failures"}.
    `search(text, embedding)` returns passages (PassageHit.public()), best first; `answer(text)` the
    offline answer ({"answer": ...})."""
    if not questions:
        raise ValueError("the how-to question set is empty: the catalog names no sample document")
    embeddings = embed([q.text for q in questions])
    rows: list[tuple[str, bool, bool]] = []
    failures: list[dict] = []
    for question, embedding in zip(questions, embeddings, strict=True):
        found = search(question.text, embedding)[:k]
        recalled = any(right_passage(p, question) for p in found)
        problems = answer_problems(answer(question.text)["answer"], question)
        rows.append((question.key, recalled, not problems))
        if (not recalled or problems) and len(failures) < 10:
            failures.append(
                {
                    "question": question.text,
                    "document": question.title,
                    "page": question.page,
                    "recalled": recalled,
                    "problems": problems,
                    "found": [(p["document"], p["page"]) for p in found],
                }
            )

    def summary(selected: list[tuple[str, bool, bool]]) -> dict:
        return {
            "questions": len(selected),
            f"recall@{k}": round(float(np.mean([r for _, r, _ in selected])), 4),
            "answer_score": round(float(np.mean([a for _, _, a in selected])), 4),
        }

    keys = sorted({key for key, _, _ in rows})
    return {
        **summary(rows),
        "by_key": {key: summary([r for r in rows if r[0] == key]) for key in keys},
        "failures": failures,
    }
