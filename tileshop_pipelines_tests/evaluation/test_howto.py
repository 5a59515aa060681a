"""The how-to suite: its questions from the documents' facts table, its scoring, and its scores on the
60-product sample index with its documents."""

from __future__ import annotations

import json

import pytest

from tileshop_pipelines.evaluation.howto import (
    HowToQuestion,
    answer_problems,
    build_howto_questions,
    evaluate_howto,
    right_passage,
    subject,
)
from tileshop_pipelines.sample_catalog import build_catalog
from tileshop_pipelines.sample_catalog.documents import DOCUMENTS, document_path, sample_document
from tileshop_pipelines.store import db

N_PRODUCTS = 60  # the sample index (root conftest)
SEED = 7
QUESTION = HowToQuestion(
    "what's the pot life of Superior LFT Bond Mortar",
    "pot life",
    "/is/content/TileShop/pdf/tds/superior-lft-bond-mortar-tds.pdf",
    "Superior LFT Bond Mortar",
    2,
    "Pot life is about 3 hours at 70°F.",
)


def test_questions_come_from_the_facts_of_the_documents_the_catalog_names():
    catalog = build_catalog(n_products=N_PRODUCTS, seed=SEED)
    questions = build_howto_questions(catalog, seed=SEED)
    assert questions == build_howto_questions(catalog, seed=SEED)  # deterministic
    named = {document_path(d["Url"]) for p in catalog.products for d in p.documents}
    assert len(questions) > 100 and {q.document for q in questions} <= named
    for q in questions:
        doc = sample_document(q.document)
        assert subject(doc) in q.text  # the question names the document's subject
        fact = next(f for f in doc.facts if f.key == q.key and f.statement == q.statement)
        assert fact.page == q.page and doc.title == q.title
        # exactly one document of that subject states it
        assert [
            d.path for d in DOCUMENTS.values() if subject(d) == subject(doc) and any(f.key == q.key for f in d.facts)
        ] == [q.document]
    # two phrasings per fact
    per_fact: dict = {}
    for q in questions:
        per_fact.setdefault((q.document, q.statement), set()).add(q.text)
    assert {len(texts) for texts in per_fact.values()} == {2}


def test_a_right_passage_is_the_documents_page():
    url = "https://s7d1.scene7.com" + QUESTION.document
    assert right_passage({"url": url, "page": 2}, QUESTION)
    assert not right_passage({"url": url, "page": 1}, QUESTION)
    assert not right_passage({"url": url.replace("lft-bond", "x3"), "page": 2}, QUESTION)


@pytest.mark.parametrize(
    "answer, problems",
    [
        (
            "Offline answer.\n1. Superior LFT Bond Mortar Technical Data Sheet, page 2 (Working Properties):\n"
            "> Pot life is about 3 hours\n> at 70°F. Do not add water.\nhttps://x#page=2",
            [],
        ),
        (
            "Offline answer.\n1. Superior LFT Bond Mortar Technical Data Sheet, page 2 (Working Properties):\n"
            "   https://x#page=2\n   > Pot life is about 3 hours\n   > at 70°F. Do not add water.",
            [],
        ),
        (
            "1. Superior LFT Bond Mortar Technical Data Sheet, page 1 (Description):\n> Pot life is about 3 hours at 70°F.",
            ["does not name 'Superior LFT Bond Mortar', page 2"],
        ),
        (
            "1. Superior LFT Bond Mortar Technical Data Sheet, page 2:\n> Pot life is about 2 hours at 70°F.",
            ["does not quote the fact"],
        ),
    ],
)
def test_answer_problems(answer, problems):
    assert answer_problems(answer, QUESTION) == problems


def test_an_empty_suite_is_refused():
    with pytest.raises(ValueError, match="names no sample document"):
        evaluate_howto([], lambda t, e: [], lambda texts: None, lambda t: {})


def test_recall_and_answers_on_the_sample_index(index_url):
    """recall@5 of the right passage (document and page) >= 0.9, the issue's target; the offline answer
    quotes the fact and names its document and page for nearly every question (0.984 measured)."""
    from tileshop_pipelines.assistant.intent import answer_question
    from tileshop_pipelines.assistant.passages import retrieve_passages
    from tileshop_pipelines.embedding.model import embed_texts, load_model

    questions = build_howto_questions(build_catalog(n_products=N_PRODUCTS, seed=SEED), seed=SEED)
    model = load_model()
    with db.connect(index_url) as conn:
        report = evaluate_howto(
            questions,
            lambda t, e: [p.public() for p in retrieve_passages(conn, t, e, limit=5)],
            lambda texts: embed_texts(model, texts),
            lambda t: answer_question(conn, t),
        )
    print(json.dumps({k: v for k, v in report.items() if k != "by_key"}))
    assert report["questions"] == len(questions)
    assert report["recall@5"] >= 0.9
    assert report["answer_score"] >= 0.95
