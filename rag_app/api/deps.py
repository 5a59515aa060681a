"""The routes' dependencies, declared once: the app's services (built by the lifespan, kept on
`app.state`) and the admin guard."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from rag_app.chat import ChatService
from rag_app.claude import ClaudeAnswerer
from rag_app.config import Settings
from rag_app.database import Database
from rag_app.query_embedding import QueryEmbedder
from rag_app.security import check_admin_token
from tileshop_pipelines.acquisition.dagster_graphql import DagsterJobs


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_chat(request: Request) -> ChatService:
    return request.app.state.chat


def get_embedder(request: Request) -> QueryEmbedder:
    return request.app.state.embedder


def get_answerer(request: Request) -> ClaudeAnswerer | None:
    return request.app.state.answerer


def get_jobs(request: Request) -> DagsterJobs:
    return request.app.state.jobs


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ChatDep = Annotated[ChatService, Depends(get_chat)]
EmbedderDep = Annotated[QueryEmbedder, Depends(get_embedder)]
AnswererDep = Annotated[ClaudeAnswerer | None, Depends(get_answerer)]
JobsDep = Annotated[DagsterJobs, Depends(get_jobs)]


def require_admin(settings: SettingsDep, authorization: Annotated[str, Header(include_in_schema=False)] = "") -> None:
    """`Authorization: Bearer <TILESHOP_ADMIN_TOKEN>`; 403 while no token is configured."""
    check_admin_token(authorization, settings.admin_token)
