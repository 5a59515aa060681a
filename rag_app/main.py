"""The shopper-facing app: answers questions from product_vectors (offline answer mode for now)."""

from __future__ import annotations

import asyncio
import time

from fastapi import FastAPI
from pydantic import BaseModel, Field

from rag_app.answer import answer_question
from tileshop_pipelines.store import db

MAX_QUERY_CHARS = 2000


class ChatRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)


def create_app() -> FastAPI:
    db.configure_environment()
    app = FastAPI(title="Tile Shop product assistant", version="0.1.0")

    @app.get("/api/system/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/api/chat")
    async def chat(request: ChatRequest) -> dict:
        started = time.perf_counter()

        def run() -> dict:
            with db.connect() as conn:
                return answer_question(conn, request.query)

        result = await asyncio.to_thread(run)
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return result

    return app
