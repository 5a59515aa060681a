"""Launch and watch Dagster runs through the Dagster webserver's GraphQL API: the acquisition job
(the app's /api/acquisition endpoints) and re-crawls of chosen products (acquisition/recrawl.py,
from the app and from `tileshop recrawl`). Plain httpx: no Dagster import, so the app can use it."""

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

PARTITION_KEYS = """
query PartitionKeys($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode { partitionKeys }
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

    async def _job_selector(self, job_name: str) -> dict:
        repos = (await self._query(FIND_JOB))["repositoriesOrError"]
        if repos["__typename"] != "RepositoryConnection":
            raise DagsterError(f"Dagster could not list its code locations: {repos.get('message')}")
        for repo in repos["nodes"]:
            if any(job["name"] == job_name for job in repo["jobs"]):
                return {
                    "repositoryLocationName": repo["location"]["name"],
                    "repositoryName": repo["name"],
                    "jobName": job_name,
                }
        raise DagsterError(f"no code location served by Dagster has a job named {job_name!r}")

    async def launch(self) -> dict:
        """A run of the acquisition job (`job_name`)."""
        return await self.launch_job(self.job_name)

    async def launch_job(
        self,
        job_name: str,
        run_config: dict | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict:
        """A run of `job_name` with this run config and these tags (Dagster queues it: the daemon's
        run coordinator starts it, under the same pools and limits as any run)."""
        selector = await self._job_selector(job_name)
        params = {
            "selector": selector,
            "runConfigData": run_config or {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]},
        }
        result = (await self._query(LAUNCH_RUN, {"executionParams": params}))["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            detail = result.get("message") or "; ".join(e["message"] for e in result.get("errors", []))
            raise DagsterError(f"Dagster did not launch {job_name}: {result['__typename']}: {detail}")
        return {
            "run_id": result["run"]["runId"],
            "status": result["run"]["status"],
            "job": job_name,
            "location": selector["repositoryLocationName"],
        }

    async def partition_keys(self, asset: str) -> list[str]:
        """The partition keys of `asset`, in the partitions definition's order."""
        result = (await self._query(PARTITION_KEYS, {"assetKey": {"path": asset.split("/")}}))["assetNodeOrError"]
        if result["__typename"] != "AssetNode":
            raise DagsterError(f"Dagster has no asset {asset!r}: {result.get('message')}")
        return result["partitionKeys"]

    async def runs(self, run_id: str | None = None, limit: int = 5) -> list[dict]:
        run_filter = {"runIds": [run_id]} if run_id else {"pipelineName": self.job_name}
        result = (await self._query(JOB_RUNS, {"filter": run_filter, "limit": limit}))["runsOrError"]
        if result["__typename"] != "Runs":
            raise DagsterError(f"Dagster could not list runs: {result.get('message')}")
        return [
            {
                "run_id": r["runId"],
                "job": r["jobName"],
                "status": r["status"],
                "start_time": r["startTime"],
                "end_time": r["endTime"],
            }
            for r in result["results"]
        ]
