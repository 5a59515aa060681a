"""Shoppers' chat: the page, one answer as JSON, or the same answer as server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from rag_app.api.deps import ChatDep, SettingsDep
from rag_app.schemas import AT_CAPACITY, ChatRequest, ChatResponse
from rag_app.security import client_address
from tileshop_pipelines.assistant.retrieval import Retrieval

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

router = APIRouter(tags=["shoppers"])


@router.get("/", include_in_schema=False)
async def chat_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")


@router.post("/api/chat", response_model=ChatResponse, responses=AT_CAPACITY)
async def chat_turn(request: ChatRequest, chat: ChatDep, http: Request, settings: SettingsDep) -> dict | Response:
    """Answer a question from the catalog: Claude when configured and reachable, else offline."""
    answering = asyncio.ensure_future(
        chat.answer(request.query, request.history(), request.product_filters(), visitor(http, settings))
    )
    gone = asyncio.ensure_future(until_disconnected(http))
    try:
        await asyncio.wait({answering, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not answering.done():  # the client went away (or this handler was cancelled): so does Claude's call
            answering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await answering
    if answering.cancelled():
        return Response(status_code=499)  # nobody reads it: the connection is closed
    return answering.result()


async def until_disconnected(http: Request) -> None:
    """Returns when the client closes its connection (the body was read: the next message the
    server has for the app is the disconnect)."""
    while (await http.receive())["type"] != "http.disconnect":
        pass


def visitor(http: Request, settings) -> str:
    """The asking client (security.client_address), for the analytics' visitor count."""
    return client_address(http.scope, settings.fly_app_name is not None)


@dataclasses.dataclass(frozen=True)
class RetrievedTurn:
    query: str
    history: list[dict]
    found: Retrieval
    started: float
    visitor: str


async def retrieve_turn(request: ChatRequest, chat: ChatDep, http: Request, settings: SettingsDep) -> RetrievedTurn:
    """The turn's products, found while solving dependencies: before the event stream opens, so
    a database outage or a full app is a plain 503."""
    started = time.perf_counter()
    history = request.history()
    found = await chat.retrieve_for_turn(request.query, history, request.product_filters())
    return RetrievedTurn(request.query, history, found, started, visitor(http, settings))


@router.post(
    "/api/chat/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"description": "events: delta {text}*, reset {reason}?, then products {the /api/chat response}"},
        **AT_CAPACITY,
    },
)
async def chat_stream(
    turn: Annotated[RetrievedTurn, Depends(retrieve_turn)], chat: ChatDep
) -> AsyncIterator[ServerSentEvent]:
    """The same answer as /api/chat, as server-sent events: text deltas, then the products.

    Retrieval runs before the stream opens, so a database outage or a full app is a plain 503."""
    async for kind, data in chat.answer_events(turn.query, turn.history, turn.found, turn.started, turn.visitor):
        yield ServerSentEvent(event="products" if kind == "result" else kind, data=data)
