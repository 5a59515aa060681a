"""The transfer tests' source: the pipeline's own run over a sample catalog, and its dump."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

N_PRODUCTS = 60  # test_pipeline's catalog: one materialized site for every module that asks for it
ROOT = Path(__file__).resolve().parents[2]


def tileshop(*argv: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def filled(materialized_site, tmp_path_factory):
    """The pipeline's own run over a sample catalog (the session's, read only here: every change
    is made to a copy), then the CLI's dump of its database."""
    site = materialized_site(N_PRODUCTS, 7)
    with site.environment():
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
    path = tmp_path_factory.mktemp("dump") / "tileshop.dump"
    out = tileshop("db", "dump", str(path), env=env)
    assert out.returncode == 0, out.stderr
    return {"source": site.database_url, "dump": path, "env": env}
