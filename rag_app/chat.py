"""One chat turn: embed the question, retrieve products, answer with Claude or offline.

`retrieve` runs first and alone holds a place at the admission gate (the CPU-bound part), so an
overloaded app refuses a question before any answer starts streaming. `answer_events` then yields
the answer as it happens (text deltas, then the result); the JSON endpoint and the SSE endpoint
both consume it, so streamed and non-streamed answers cannot drift apart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

import numpy as np

from rag_app.admission import AdmissionGate
from rag_app.claude import ClaudeAnswerer, citations_of
from rag_app.database import Database
from rag_app.metrics import AppMetrics
from rag_app.monitoring import MonitoringRecorder, question_record
from rag_app.query_embedding import QueryEmbedder
from tileshop_pipelines.assistant import tool_loop
from tileshop_pipelines.assistant.followups import search_text
from tileshop_pipelines.assistant.intent import offline_turn
from tileshop_pipelines.assistant.retrieval import ProductHit, Retrieval, VocabularyCache, hit_from_product, retrieve
from tileshop_pipelines.assistant.tools import ToolContext, ToolOutcome, run_tool
from tileshop_pipelines.assistant.turns import Turn, merged_turn
from tileshop_pipelines.store.product_lookup import list_products
from tileshop_pipelines.store.search import ProductFilters

log = logging.getLogger("rag_app.chat")
TOOL_NAMES = frozenset(tool_loop.TOOLS)

# What the first shoppers would otherwise pay for (bench cold_start / rag): the encoder's first
# batches, and on each pooled connection the session's first catalog lookups and plans of the
# plain and the filtered search, the SKU lookup and the vocabulary.
WARM_UP_QUESTIONS = (
    "white porcelain floor tile 12 x 24",
    "grey ceramic wall tile under $5 per sq ft",
    "what does SKU 684287 cost?",
)
WARM_UP_BATCH = 16


class DeadlinePassed(Exception):
    """The answer's Claude deadline (TILESHOP_CLAUDE_DEADLINE_S) passed, retries included."""


def failure_reason(exc: BaseException) -> tuple[str, str]:
    """(metric label, sentence for the shopper) of a Claude failure; never the exception's text,
    which may quote request data."""
    import anthropic  # loaded already: only a ClaudeAnswerer (claude.py) fails this way

    if isinstance(exc, DeadlinePassed):
        return "deadline", "the language model did not answer in time"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limited", "the language model is over its rate limit"
    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout", "the language model did not answer in time"
    if isinstance(exc, anthropic.APIStatusError):
        return f"http_{exc.status_code}", f"the language model service failed (HTTP {exc.status_code})"
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection", "the language model service is unreachable"
    return type(exc).__name__, "the language model failed"


def cited_passages(sent: list, outcomes: list[ToolOutcome], citations: list[dict]) -> list[dict]:
    """The passages Claude's answer cites (sent with the question or by search_documents), each once."""
    candidates = list(sent) + [p for o in outcomes if o.ok for p in getattr(o.result, "passages", None) or []]
    cited = {(c.get("url") or "") for c in citations if c.get("page") is not None}
    picked, seen = [], set()
    for passage in candidates:
        if passage.source in cited and passage.id not in seen:
            seen.add(passage.id)
            picked.append(passage.public())
    return picked


class ChatService:
    def __init__(
        self,
        database: Database,
        embedder: QueryEmbedder,
        answerer: ClaudeAnswerer | None,
        metrics: AppMetrics,
        gate: AdmissionGate,
        products_per_answer: int = 5,
        recorder: MonitoringRecorder | None = None,
        *,
        claude_deadline_s: float = 20.0,
        claude_max_concurrent: int = 16,
    ):
        self.database = database
        self.gate = gate
        self.embedder = embedder
        self.answerer = answerer
        self.metrics = metrics
        self.products_per_answer = products_per_answer
        self.recorder = recorder  # search analytics: one record per answered question
        self.claude_deadline_s = claude_deadline_s
        self.claude_max_concurrent = claude_max_concurrent
        self.claude_in_flight = 0  # on the event loop only: no lock
        self.vocabulary = VocabularyCache()

    async def warm_up(self, connections: int) -> float:
        """Encode and search the warm-up questions on every pooled connection, outside the
        metrics and the admission gate; seconds taken. A database that is down is no failure:
        the requests will say so (503)."""
        started = time.perf_counter()
        texts = [*WARM_UP_QUESTIONS, *(f"warm-up question {i}" for i in range(WARM_UP_BATCH))]
        with self.embedder.unobserved():  # batches of 1..16, not shoppers' questions
            embeddings = await asyncio.gather(*(self.embedder.embed(text) for text in texts))

        def search_all(conn) -> None:
            # The batch's embeddings (after the questions') warm the encoder only.
            for question, embedding in zip(WARM_UP_QUESTIONS, embeddings[: len(WARM_UP_QUESTIONS)], strict=True):
                retrieve(
                    conn, question, embedding, limit=self.products_per_answer, vocabulary=self.vocabulary.get(conn)
                )

        try:
            await asyncio.gather(*(self.database.run(search_all) for _ in range(connections)))
        except Exception as exc:  # noqa: BLE001 - any database failure; logged, never raised at start
            log.warning("warm-up searches failed (%s); the first requests will find out", type(exc).__name__)
        return time.perf_counter() - started

    async def retrieve(self, question: str, filters: ProductFilters | None, limit: int | None = None) -> Retrieval:
        """The question's products; raises admission.Overloaded when the gate is full."""
        with self.gate.admit():
            started = time.perf_counter()
            embedding = await self.embedder.embed(question)
            self.metrics.embedding_seconds.observe(time.perf_counter() - started)
            embed = self._embed_from_pool_thread()
            result = await self.database.run(
                lambda conn: retrieve(
                    conn,
                    question,
                    embedding,
                    limit=limit or self.products_per_answer,
                    filters=filters,
                    vocabulary=self.vocabulary.get(conn),
                    embed=embed,
                )
            )
        self.metrics.retrieval_seconds.observe(result.seconds)
        return result

    async def retrieve_for_turn(self, question: str, history: list[dict], filters: ProductFilters | None) -> Retrieval:
        """A chat turn's products: a follow-up that refers back is searched with the shopper's
        previous question (followups.search_text)."""
        return await self.retrieve(search_text(question, history), filters)

    async def browse(self, filters: ProductFilters, limit: int) -> list[ProductHit]:
        """The products matching `filters` alone, cheapest first (through the same gate)."""
        with self.gate.admit():
            rows = await self.database.run(lambda conn: list_products(conn, filters, limit))
        return [hit_from_product(row, 0.0) for row in rows]

    async def answer_events(
        self, question: str, history: list[dict], found: Retrieval, started: float, visitor: str | None = None
    ) -> AsyncIterator[tuple[str, dict]]:
        """The answer to a retrieved question: ("delta", {text}) ..., possibly ("reset", {reason})
        when Claude failed mid-answer and the offline answer replaces what was sent, then
        ("result", the whole response, its latency counted from `started`)."""
        mode, text, citations, reason, llm_error = "offline", "", [], None, None
        turn = Turn(text="", products=[hit.card() for hit in found.hits])
        if self.answerer is not None and self.claude_in_flight >= self.claude_max_concurrent:
            # Claude's spend bounded: beyond the cap the shopper gets the offline answer now
            llm_error, reason = "at_capacity", "the language model is answering many questions at once"
            self.metrics.llm_calls.labels("at_capacity").inc()
        elif self.answerer is not None:
            sent_text = False
            llm_started = time.perf_counter()
            self.claude_in_flight += 1
            try:
                streamed = []
                request = self.answerer.request(question, history, found.hits, found.passages)
                async for item in self._within_deadline(
                    tool_loop.run(self.answerer.client, request, self.execute_tool)
                ):
                    if isinstance(item, tool_loop.LoopText):
                        sent_text = True
                        streamed.append(item.text)
                        yield "delta", {"text": item.text}
                    else:
                        mode, text = "claude", "".join(streamed)
                        citations = citations_of(
                            item.message, found.hits, found.passages, tool_loop.sent_search_results(item.outcomes)
                        )
                        turn = merged_turn(item.outcomes, turn)
                        turn.passages = cited_passages(found.passages, item.outcomes, citations)
                self.metrics.llm_calls.labels("ok").inc()
            except (asyncio.CancelledError, GeneratorExit):  # the client went away: Claude's call is closed
                self.metrics.llm_calls.labels("cancelled").inc()
                raise
            except Exception as exc:  # any failure: the shopper still gets the offline answer
                llm_error, reason = failure_reason(exc)
                log.warning("Claude failed after retries (%s); answering offline", llm_error)
                self.metrics.llm_calls.labels("error").inc()
                self.metrics.llm_errors.labels(llm_error).inc()
                if sent_text:
                    yield "reset", {"reason": reason}
            finally:
                self.claude_in_flight -= 1
                self.metrics.llm_seconds.observe(time.perf_counter() - llm_started)
        if mode == "offline":
            turn = await self.offline(question, found, f"Claude was not used: {reason}" if reason else None)
            text = turn.text
            yield "delta", {"text": text}
        latency_s = time.perf_counter() - started
        self.metrics.answer_seconds.labels(mode).observe(latency_s)
        if self.recorder is not None:
            self.recorder.question(question_record(question, found, mode, llm_error, latency_s), visitor)
        yield (
            "result",
            {
                "answer": text,
                "mode": mode,
                "products": turn.products,
                "citations": citations,
                "filters": found.filters.active(),
                "filters_relaxed": found.relaxed,
                "estimate": turn.estimate,
                "sort": turn.sort,
                "companions": turn.companions,
                "passages": turn.passages,
                "tool_calls": turn.tool_calls,
                "latency_ms": round(latency_s * 1000, 1),
            },
        )

    async def _within_deadline(self, stream):
        """Claude's answer (the tool loop's items) within one deadline for the whole answer, tool
        rounds and the SDK's retries included (each attempt had its own timeout: 4 attempts of 30 s
        were 2 minutes). Raises DeadlinePassed; the call is closed when it passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.claude_deadline_s
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise DeadlinePassed()
                try:
                    async with asyncio.timeout(remaining):  # around the wait only, never around the yield
                        item = await anext(stream)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise DeadlinePassed() from None
                yield item
        finally:
            await stream.aclose()

    async def execute_tool(self, name: str, raw_input: object) -> ToolOutcome:
        """One of Claude's tool calls, on a pooled connection; its relevance search embeds the
        query with the app's encoder (awaited on this loop from the pool thread)."""
        embed = self._embed_from_pool_thread()
        outcome = await self.database.run(
            lambda conn: run_tool(ToolContext(conn, embed=embed, vocabulary=self.vocabulary.get(conn)), name, raw_input)
        )
        self.metrics.tool_calls.labels(
            outcome.name if outcome.name in TOOL_NAMES else "unknown", "ok" if outcome.ok else "error"
        ).inc()
        self.metrics.tool_seconds.observe(outcome.seconds)
        return outcome

    def _embed_from_pool_thread(self) -> Callable[[str], np.ndarray]:
        """The app's encoder for code running on a pooled connection's thread (the retrieval's
        passage ranking, a tool's relevance search): awaited on this loop, which stays free."""
        loop = asyncio.get_running_loop()

        def embed(text: str) -> np.ndarray:
            return asyncio.run_coroutine_threadsafe(self.embedder.embed(text), loop).result(timeout=30)

        return embed

    async def offline(self, question: str, found: Retrieval, reason: str | None = None) -> Turn:
        """The offline answer: the tool the question asks for (intent.py), else the retrieved products."""
        turn = await self.database.run(
            lambda conn: offline_turn(ToolContext(conn, vocabulary=self.vocabulary.get(conn)), question, found)
        )
        if reason:
            head, _, rest = turn.text.partition("\n")
            turn.text = f"{head}\n({reason})\n{rest}"
        return turn

    async def answer(
        self, question: str, history: list[dict], filters: ProductFilters | None, visitor: str | None = None
    ) -> dict:
        """`visitor`: the client's address, for the analytics (hashed before it is stored)."""
        started = time.perf_counter()
        found = await self.retrieve_for_turn(question, history, filters)
        async for kind, data in self.answer_events(question, history, found, started, visitor):
            if kind == "result":
                return data
        raise RuntimeError("the chat turn ended without a result")
