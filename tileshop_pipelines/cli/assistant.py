"""`tileshop ask` and `tileshop eval`: the assistant's answer, and the search's recall on known questions."""

from __future__ import annotations

import json

from tileshop_pipelines.cli.common import fail
from tileshop_pipelines.processes import prepare


def register(sub) -> None:
    p = sub.add_parser("ask", help="answer a shopper's question from product_vectors (offline mode)")
    p.add_argument("question")
    p.add_argument("--limit", type=int, default=5)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser(
        "eval",
        help="recall@5 and MRR of vector, full-text and hybrid search on questions "
        "built from the sample catalog's facts",
    )
    p.add_argument("--products", type=int, default=500, help="the sample catalog the database holds (default 500)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--no-tasks",
        action="store_true",
        help="skip the assistant's task suites (quantities, cheapest, "
        "companions, setting materials, comparisons, how-to)",
    )
    p.set_defaults(func=cmd_eval)


def cmd_ask(args) -> int:
    from tileshop_pipelines.assistant.intent import answer_question
    from tileshop_pipelines.store import db

    if not args.question.strip():
        return fail("the question is empty")
    prepare()
    with db.connect() as conn:
        result = answer_question(conn, args.question, limit=args.limit)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_eval(args) -> int:
    from tileshop_pipelines.defs.resources import build_resources
    from tileshop_pipelines.evaluation.questions import build_questions
    from tileshop_pipelines.evaluation.scoring import EvaluationError, evaluate
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.settings import load_settings
    from tileshop_pipelines.store import db

    prepare()
    resources = build_resources(load_settings())
    questions = build_questions(build_catalog(n_products=args.products, seed=args.seed), seed=args.seed)
    with db.connect() as conn:
        try:
            report = evaluate(resources["vector_store"].open(conn), questions, resources["embedder"].embed)
        except EvaluationError as exc:
            return fail(f"{exc} (`tileshop run --products {args.products} --seed {args.seed}`)")
        if not args.no_tasks:
            from tileshop_pipelines.assistant.intent import answer_question
            from tileshop_pipelines.evaluation.tasks import build_tasks, score_tasks

            catalog = build_catalog(n_products=args.products, seed=args.seed)
            tasks = build_tasks(catalog, seed=args.seed)
            report["tasks"] = score_tasks(tasks, lambda task: answer_question(conn, task.question))
            report["howto"] = _howto(conn, catalog, args.seed, resources["embedder"].embed)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['questions']} questions from the {args.products}-product sample catalog (seed {args.seed})")
    print(f"{'':12}" + "".join(f"{mode:>20}" for mode in report["modes"]))
    for kind, row in [("all", report["modes"]), *report["by_kind"].items()]:
        cells = "".join(f"{row[m]['recall@5']:>10.3f}{row[m]['mrr']:>10.3f}" for m in report["modes"])
        print(f"{kind:12}{cells}")
    print(f"{'':12}" + "   recall@5       MRR" * len(report["modes"]))
    for suite, row in report.get("tasks", {}).items():
        print(f"task suite {suite:12} {row['right']:>3}/{row['tasks']:<3} right ({row['score']:.0%}, offline)")
    if (howto := report.get("howto")) and "skipped" in howto:
        print(f"how-to suite skipped: {howto['skipped']}")
    elif howto:
        print(
            f"how-to suite: {howto['questions']} questions, recall@5 of the right passage {howto['recall@5']:.3f}, "
            f"offline answers quoting the fact and naming document and page {howto['answer_score']:.0%}"
        )
    return 0


def _howto(conn, catalog, seed: int, embed) -> dict:
    """The how-to suite against this database's documents (evaluation/howto.py)."""
    from tileshop_pipelines.assistant.intent import answer_question
    from tileshop_pipelines.assistant.passages import retrieve_passages
    from tileshop_pipelines.evaluation.howto import K, build_howto_questions, evaluate_howto
    from tileshop_pipelines.store.document_chunks import document_counts

    if not document_counts(conn)["indexed_documents"]:
        return {"skipped": "no document is in the index (the documents step has not run on this database)"}
    return evaluate_howto(
        build_howto_questions(catalog, seed=seed),
        lambda text, embedding: [p.public() for p in retrieve_passages(conn, text, embedding, limit=K)],
        embed,
        lambda text: answer_question(conn, text),
    )
