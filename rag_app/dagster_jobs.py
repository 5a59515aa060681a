"""Launch and watch the acquisition job through the Dagster webserver's GraphQL API."""

from __future__ import annotations

import httpx

from tileshop_pipelines.store.db import redacted

FIND_JOB = """
query FindJob {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection { nodes { name location { name } jobs { name } } }
    ... on PythonError { message }
  }
}
"""

LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}
"""

JOB_RUNS = """
query JobRuns($filter: RunsFilter, $limit: Int) {
  runsOrError(filter: $filter, limit: $limit) {
    __typename
    ... on Runs { results { runId jobName status startTime endTime } }
    ... on Error { message }
  }
}
"""

VERSION = "query Version { version }"


class DagsterError(RuntimeError):
    """Dagster is unreachable or refused the request; the message says which."""


class DagsterJobs:
    def __init__(self, graphql_url: str, job_name: str, timeout_s: float = 10.0):
        self.graphql_url = graphql_url
        self.shown_url = redacted(graphql_url)  # in messages: a token in the URL stays out
        self.job_name = job_name
        self.timeout_s = timeout_s

    async def _query(self, query: str, variables: dict | None = None) -> dict:
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(self.graphql_url, json={"query": query, "variables": variables or {}})
        except httpx.HTTPError as exc:
            raise DagsterError(f"Dagster GraphQL at {self.shown_url} is unreachable: {redacted(repr(exc))}") from exc
        if response.status_code != 200:
            raise DagsterError(f"Dagster GraphQL at {self.shown_url} answered HTTP {response.status_code}")
        body = response.json()
        if body.get("errors"):
            raise DagsterError(f"Dagster GraphQL error: {body['errors'][0].get('message')}")
        return body["data"]

    async def version(self) -> str:
        return (await self._query(VERSION))["version"]

    async def _job_selector(self) -> dict:
        repos = (await self._query(FIND_JOB))["repositoriesOrError"]
        if repos["__typename"] != "RepositoryConnection":
            raise DagsterError(f"Dagster could not list its code locations: {repos.get('message')}")
        for repo in repos["nodes"]:
            if any(job["name"] == self.job_name for job in repo["jobs"]):
                return {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"],
                        "jobName": self.job_name}
        raise DagsterError(f"no code location served by Dagster has a job named {self.job_name!r}")

    async def launch(self) -> dict:
        selector = await self._job_selector()
        result = (await self._query(LAUNCH_RUN, {"executionParams": {"selector": selector, "runConfigData": {}}}))[
            "launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            detail = result.get("message") or "; ".join(e["message"] for e in result.get("errors", []))
            raise DagsterError(f"Dagster did not launch {self.job_name}: {result['__typename']}: {detail}")
        return {"run_id": result["run"]["runId"], "status": result["run"]["status"], "job": self.job_name,
                "location": selector["repositoryLocationName"]}

    async def runs(self, run_id: str | None = None, limit: int = 5) -> list[dict]:
        run_filter = {"runIds": [run_id]} if run_id else {"pipelineName": self.job_name}
        result = (await self._query(JOB_RUNS, {"filter": run_filter, "limit": limit}))["runsOrError"]
        if result["__typename"] != "Runs":
            raise DagsterError(f"Dagster could not list runs: {result.get('message')}")
        return [{"run_id": r["runId"], "job": r["jobName"], "status": r["status"], "start_time": r["startTime"],
                 "end_time": r["endTime"]} for r in result["results"]]
