"""Admin (bearer token): launch and watch the acquisition job in Dagster."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from rag_app.api.deps import JobsDep, require_admin
from rag_app.schemas import AcquisitionStatus, LaunchResponse
from tileshop_pipelines.acquisition.dagster_graphql import DagsterError

router = APIRouter(
    prefix="/api/acquisition",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "missing or wrong admin token"},
        403: {"description": "admin endpoints disabled"},
        502: {"description": "Dagster refused or is unreachable"},
    },
)


@router.post("/start", response_model=LaunchResponse, status_code=202)
async def start_acquisition(jobs: JobsDep) -> dict:
    """Launch the acquisition job in Dagster (through its GraphQL API)."""
    try:
        return await jobs.launch()
    except DagsterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None


@router.get("/status", response_model=AcquisitionStatus)
async def acquisition_status(
    jobs: JobsDep,
    run_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9a-fA-F-]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict:
    """The latest runs of the acquisition job, or one run by id."""
    try:
        return {"job": jobs.job_name, "runs": await jobs.runs(run_id, limit)}
    except DagsterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
