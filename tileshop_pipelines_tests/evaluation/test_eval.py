"""The retrieval evaluation and the vector asset checks on a catalog materialized through Dagster."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tileshop_pipelines.evaluation.questions import PER_KIND, build_questions, product_key, series_words
from tileshop_pipelines.evaluation.scoring import EvaluationError, evaluate, recall_at, reciprocal_rank
from tileshop_pipelines.sample_catalog import build_catalog
from tileshop_pipelines.store import db
from tileshop_pipelines.store.product_vectors import PostgresVectorStore

N_PRODUCTS = 200
SEED = 7


@pytest.fixture(scope="module")
def materialized(materialized_site):
    site = materialized_site(N_PRODUCTS, SEED)  # read only here
    with site.environment():
        yield {"catalog": site.catalog, "results": site.results, "env": site.env}


def test_question_set_is_built_from_catalog_facts():
    catalog = build_catalog(n_products=N_PRODUCTS, seed=SEED)
    questions = build_questions(catalog, seed=SEED)
    assert len(questions) >= 100
    assert {q.kind for q in questions} == set(PER_KIND)
    assert questions == build_questions(catalog, seed=SEED)  # deterministic
    keys = {product_key(p): p for p in catalog.products}
    for q in questions:
        assert q.relevant <= set(keys)
        if q.kind == "sku":
            assert all(keys[k].sku == q.text for k in q.relevant)
        if q.kind == "attributes":  # every stated attribute holds for every relevant product
            for k in q.relevant:
                p = keys[k]
                assert p.specs["Finish"].lower() in q.text and p.specs["MaterialType"].lower() in q.text
                assert q.text.endswith(p.specs["ApproximateSize"].removesuffix(" in"))
    zenobia = catalog.product("684287")
    assert series_words(zenobia) == ["Marmi", "Imperiali", "Zenobia"]


def test_metrics():
    relevant = frozenset({"a", "b"})
    assert recall_at(["x", "a", "y", "b"], relevant, 3) == 0.5
    assert recall_at(["x", "a", "y", "b"], relevant, 5) == 1.0
    assert recall_at(["a"], frozenset({"a", "b", "c", "d", "e", "f"}), 5) == 0.2  # min(|relevant|, k)
    assert reciprocal_rank(["x", "y", "b"], relevant) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], relevant) == 0.0


@pytest.mark.slow
def test_asset_checks_pass(materialized):
    evaluations = {
        e.check_name: e
        for e in materialized["results"][-1].get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "product_vectors"
    }  # the documents' checks: test_pipeline.py
    assert set(evaluations) == {"vectors_match_chunks", "vector_dimension", "vector_indexes", "canary_query"}
    assert all(e.passed for e in evaluations.values()), {n: e.metadata for n, e in evaluations.items()}
    assert "684287" in evaluations["canary_query"].metadata["top_skus"].value


@pytest.mark.slow
def test_hybrid_beats_both_modes_on_recall(materialized):
    from tileshop_pipelines.embedding.model import embed_texts, load_model

    questions = build_questions(materialized["catalog"], seed=SEED)
    with db.connect(materialized["env"]["DATABASE_URL"]) as conn:
        report = evaluate(PostgresVectorStore(conn), questions, lambda texts: embed_texts(load_model(), texts))
    modes = report["modes"]
    print(json.dumps(modes))
    assert report["questions"] == len(questions) >= 100
    assert modes["hybrid"]["recall@5"] > modes["vector"]["recall@5"]
    assert modes["hybrid"]["recall@5"] > modes["fulltext"]["recall@5"]
    assert report["by_kind"]["sku"]["fulltext"]["recall@5"] == 1.0  # exact tokens: full text's strength


@pytest.mark.slow
def test_eval_refuses_a_store_without_the_catalog(materialized):
    other = build_catalog(n_products=N_PRODUCTS + 100, seed=SEED + 1)
    with db.connect(materialized["env"]["DATABASE_URL"]) as conn:
        with pytest.raises(EvaluationError, match="lacks"):
            evaluate(PostgresVectorStore(conn), build_questions(other), lambda texts: None)


@pytest.mark.slow
def test_cli_eval_json(materialized):
    env = {**os.environ, **materialized["env"]}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tileshop_pipelines.cli",
            "eval",
            "--json",
            "--products",
            str(N_PRODUCTS),
            "--seed",
            str(SEED),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(out.stdout)
    assert report["questions"] >= 100
    assert set(report["modes"]) == {"vector", "fulltext", "hybrid"}
    assert all(set(m) == {"recall@5", "mrr"} for m in report["modes"].values())
    # the how-to suite, on the documents the pipeline fetched from the CDN stand-in and indexed
    howto = report["howto"]
    print(json.dumps({k: howto[k] for k in ("questions", "recall@5", "answer_score")}))
    assert howto["questions"] > 100 and howto["recall@5"] >= 0.9 and howto["answer_score"] >= 0.85
