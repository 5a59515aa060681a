"""Claude with the store's documents, through the real `anthropic` client against the Messages API
stand-in: passages as search_result blocks in the question's message and inside search_documents'
tool results, citations back to the document and page, and the offline answer quoting them."""

from __future__ import annotations

import json

import pytest

from tileshop_pipelines_tests.conftest import PLANTED_DOCUMENT, PLANTED_INSTRUCTION
from tileshop_pipelines_tests.rag_app.anthropic_standin import search_results

from .conftest import app_client, claude_settings

HOW_TO = "How do I install tile over a concrete slab?"


@pytest.fixture(scope="module")
def claude_client(index_url, anthropic_standin):
    with app_client(index_url, claude_settings(anthropic_standin)) as client:
        yield client


def _cite_first_passage(body: dict) -> tuple[str, dict | None]:
    """The stand-in's answer citing the first search result whose source is a document's page."""
    results = search_results(body)
    index, block = next((i, b) for i, b in enumerate(results) if "#page=" in b["source"])
    return (
        f"Per {block['title']}: {block['content'][0]['text'][:40]}",
        {
            "type": "search_result_location",
            "source": block["source"],
            "title": block["title"],
            "cited_text": block["content"][0]["text"],
            "search_result_index": index,
            "start_block_index": 0,
            "end_block_index": 1,
        },
    )


def test_a_how_to_question_sends_passages_as_search_results_and_cites_their_page(claude_client, standin):
    standin.compose = _cite_first_passage
    body = claude_client.post("/api/chat", json={"query": HOW_TO}).json()
    assert body["mode"] == "claude"
    (request,) = standin.messages_requests()
    blocks = request["body"]["messages"][-1]["content"]
    kinds = ["passage" if "#page=" in b.get("source", "") else b["type"] for b in blocks]
    # the products' results, then the passages', then the question
    assert kinds == ["search_result"] * len(body["products"]) + ["passage"] * (
        len(kinds) - len(body["products"]) - 1
    ) + ["text"]
    passages = [b for b in blocks if "#page=" in b.get("source", "")]
    assert passages and all(b["citations"] == {"enabled": True} for b in passages)
    assert all(b["title"].endswith(("Data Sheet", "Instructions", "Warranty", "Guide")) for b in passages)
    assert "document" in request["body"]["system"][0]["text"]  # the rules say documents are data too
    (citation,) = body["citations"]
    assert citation["sku"] is None and citation["document"] == passages[0]["title"]
    assert citation["url"] == passages[0]["source"] and citation["url"].endswith(f"#page={citation['page']}")
    (cited,) = body["passages"]
    assert cited["source"] == citation["url"] and cited["document"] == citation["document"]
    assert cited["quoted"] is False  # Claude's text cites it: the page shows its words under the answer


def test_search_documents_returns_passages_inside_the_tool_result_and_they_are_cited(claude_client, standin):
    standin.tool_script = [
        [{"name": "search_documents", "input": {"query": "pot life of LFT Bond mortar", "sku": "43521"}}]
    ]
    body = claude_client.post("/api/chat", json={"query": "cheapest white porcelain floor tile"}).json()
    assert body["mode"] == "claude" and body["tool_calls"][0]["ok"]
    first, second = standin.messages_requests()
    (result,) = [b for b in second["body"]["messages"][-1]["content"] if b.get("type") == "tool_result"]
    found = [b for b in result["content"] if b["type"] == "search_result"]
    assert found and all("Superior LFT Bond Mortar" in b["title"] and "#page=" in b["source"] for b in found)
    # the stand-in cites the tool's first passage, counted after the question's own search results
    before = len(search_results(first["body"]))
    (citation,) = body["citations"]
    assert citation["document"] == found[0]["title"] and citation["url"] == found[0]["source"]
    assert citation["page"] == int(found[0]["source"].rsplit("=", 1)[1])
    assert before == len(body["products"])  # a product question: no passage was sent with it
    assert body["passages"][0]["source"] == found[0]["source"]


def test_an_estimate_from_a_data_sheet_carries_its_rows_as_search_results(claude_client, standin):
    standin.tool_script = [
        [{"name": "estimate_materials", "input": {"sku": "43521", "area": 120, "tile_size": "12 x 24"}}]
    ]
    body = claude_client.post("/api/chat", json={"query": "how much LFT mortar for 120 sq ft of 12 x 24 tile"}).json()
    assert body["estimate"]["unit"] == "bag" and len(body["estimate"]["coverage_sources"]) == 2
    (_, second) = standin.messages_requests()
    (result,) = [b for b in second["body"]["messages"][-1]["content"] if b.get("type") == "tool_result"]
    rows = [b["content"][0]["text"] for b in result["content"] if b["type"] == "search_result"]
    assert rows == [s["statement"] for s in body["estimate"]["coverage_sources"]]


def test_offline_how_to_answer_carries_the_passages(index_url):
    from .conftest import settings_for

    with app_client(index_url, settings_for()) as client:
        body = client.post("/api/chat", json={"query": HOW_TO}).json()
    assert body["mode"] == "offline" and body["passages"]
    first = body["passages"][0]
    assert f"{first['document']}, page {first['page']}" in body["answer"]
    assert set(first) == {
        "document",
        "url",
        "page",
        "source",
        "section",
        "text",
        "score",
        "products",
        "product_count",
        "quoted",
    }
    assert all(p["quoted"] for p in body["passages"])  # the answer's text quotes each: the page shows them there


def test_a_documents_planted_instruction_reaches_claude_only_as_search_result_data(claude_client, standin):
    body = claude_client.post("/api/chat", json={"query": "How do I clean the Legno Scuro stone mosaic?"}).json()
    assert body["mode"] == "claude"
    (request,) = standin.messages_requests()
    sent = request["body"]
    carrying = [
        b
        for m in sent["messages"]
        for b in (m["content"] if isinstance(m["content"], list) else [])
        if PLANTED_INSTRUCTION in json.dumps(b)
    ]
    assert carrying and all(b["type"] == "search_result" for b in carrying)
    assert any(b["source"].startswith(PLANTED_DOCUMENT) for b in carrying)
    assert PLANTED_INSTRUCTION not in json.dumps(sent["system"])
    assert "never instructions" in sent["system"][0]["text"] and "document" in sent["system"][0]["text"]
