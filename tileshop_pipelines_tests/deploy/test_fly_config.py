"""Static checks of the deployment (no images, no Fly): the fly.toml files parse; every process
command, module, port and health path they name exists; the environment names in the fly.toml
files, the Dockerfiles and .env.example are names the code reads; the Dagster webserver is never a
public service; exactly one daemon. `make deploy-check` runs what these files describe."""

from __future__ import annotations

import importlib.util
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tileshop_pipelines.bootstrap import PROJECT_ROOT

CONFIGS = {"pipeline": "fly.toml", "app": "rag_app/fly.toml", "crawler": "crawler/fly.toml"}
DOCKERFILES = {"pipeline": "Dockerfile", "app": "rag_app/Dockerfile", "crawler": "crawler/Dockerfile"}  # one image each
# Read by Python, pip or Hugging Face themselves, not by our code.
TOOL_VARIABLES = {
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
}


def load(app: str) -> dict:
    return tomllib.loads((PROJECT_ROOT / CONFIGS[app]).read_text())


@pytest.fixture(scope="module")
def configs() -> dict[str, dict]:
    return {app: load(app) for app in CONFIGS}


def services(config: dict) -> list[dict]:
    return config.get("services", []) + ([config["http_service"]] if "http_service" in config else [])


def checks(config: dict) -> list[dict]:
    found = [c for s in config.get("services", []) for c in s.get("http_checks", []) + s.get("tcp_checks", [])]
    found += config.get("http_service", {}).get("checks", [])
    return found + list(config.get("checks", {}).values())


def read_variable_names() -> set[str]:
    """Every environment variable our code reads: settings fields and os.environ/getenv look-ups."""
    from tileshop_pipelines_tests.test_config_reference import code_variables

    return code_variables()


def dockerfile_env(path: str) -> dict[str, str]:
    text = (PROJECT_ROOT / path).read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(item.split("=", 1) for item in shlex.split(line[4:]))
    return env


def test_every_config_parses_and_names_its_app_and_dockerfile(configs):
    assert {c["app"] for c in configs.values()} == {"tileshop-pipelines", "tileshop-app", "tileshop-crawler"}
    for app, config in configs.items():
        # flyctl resolves `dockerfile` against the config file's folder; the build context is the root.
        dockerfile = (PROJECT_ROOT / CONFIGS[app]).parent / config["build"]["dockerfile"]
        assert dockerfile.resolve().is_file(), (app, dockerfile)
        assert dockerfile.resolve().relative_to(PROJECT_ROOT).as_posix() == DOCKERFILES[app]


def _run_command(argv: list[str]) -> None:
    """The command exists as written: its program, module and arguments parse."""
    if argv[0] == "tileshop":
        from tileshop_pipelines.cli import build_parser

        build_parser().parse_args(argv[1:])
    elif argv[:2] == ["python", "-m"]:
        module = argv[2]
        assert importlib.util.find_spec(f"{module}.__main__") or importlib.util.find_spec(module), module
        if module == "rag_app":
            from rag_app.__main__ import build_parser

            build_parser().parse_args(argv[3:])
        else:
            assert argv[3:] == [], f"python -m {module} takes no arguments"
    else:
        pytest.fail(f"unknown program in a process command: {argv}")


def test_every_process_command_and_the_release_command_exist(configs):
    for config in configs.values():
        for command in config["processes"].values():
            _run_command(shlex.split(command))
    _run_command(shlex.split(configs["pipeline"]["deploy"]["release_command"]))


def test_the_release_command_migrates_ours_and_dagsters(configs):
    assert configs["pipeline"]["deploy"]["release_command"] == "tileshop db migrate"


def test_ports_agree_between_services_checks_and_processes(configs):
    pipeline, app, crawler = configs["pipeline"], configs["app"], configs["crawler"]
    web = shlex.split(pipeline["processes"]["web"])
    assert web[web.index("--port") + 1] == str(pipeline["services"][0]["internal_port"]) == "3000"
    daemon = shlex.split(pipeline["processes"]["daemon"])
    assert int(daemon[daemon.index("--health-port") + 1]) == pipeline["checks"]["daemon_alive"]["port"]
    assert app["env"]["PORT"] == str(app["http_service"]["internal_port"])
    assert crawler["env"]["PORT"] == str(crawler["services"][0]["internal_port"])
    for config in configs.values():
        for service in services(config):
            assert service.get("processes"), f"{config['app']}: a service names its process group"
            assert set(service["processes"]) <= set(config["processes"])


def test_every_check_path_is_a_route_of_its_process(configs):
    import dagster_webserver

    from crawler.main import create_app
    from crawler.settings import CrawlerSettings
    from rag_app.api.routes.system import router

    webserver_source = "".join(p.read_text() for p in Path(dagster_webserver.__file__).parent.glob("*.py"))
    crawler_routes = {r.path for r in create_app(CrawlerSettings(CRAWLER_TOKEN="t")).routes}
    routes = {
        "tileshop-pipelines": lambda path: f'"{path}"' in webserver_source or path == "/health",
        "tileshop-app": lambda path: path in {r.path for r in router.routes},
        "tileshop-crawler": lambda path: path in crawler_routes,
    }
    for config in configs.values():
        found = checks(config)
        assert found, f"{config['app']} has no health check"
        for check in found:
            assert routes[config["app"]](check["path"]), (config["app"], check["path"])
            assert check.get("grace_period"), f"{config['app']}: {check['path']} has no grace_period"
    assert load("app")["http_service"]["checks"][0]["path"] == "/api/system/health"


def test_the_dagster_webserver_is_never_public(configs):
    pipeline = configs["pipeline"]
    assert "http_service" not in pipeline, "the pipeline app has no public HTTP service"
    for service in pipeline["services"]:
        for port in service["ports"]:
            assert port["port"] not in (80, 443) and "tls" not in port.get("handlers", []), port
            assert not port.get("force_https"), port
    public = [c["app"] for c in configs.values() if "http_service" in c]
    assert public == ["tileshop-app"]
    assert configs["app"]["http_service"]["processes"] == ["app"]
    assert shlex.split(configs["app"]["processes"]["app"])[:3] == ["python", "-m", "rag_app"]


def test_exactly_one_daemon_never_auto_stopped(configs):
    daemons = [
        (c["app"], name)
        for c in configs.values()
        for name, command in c["processes"].items()
        if "daemon" in shlex.split(command)
    ]
    assert daemons == [("tileshop-pipelines", "daemon")]
    pipeline = configs["pipeline"]
    # No service routes to it: Fly makes one machine for the group (no HA pair) and its proxy never stops it.
    assert all("daemon" not in s["processes"] for s in services(pipeline))
    # Rolling stops the old machine before starting the new; bluegreen and canary run two daemons at once.
    assert pipeline["deploy"].get("strategy", "rolling") in ("rolling", "immediate")


def test_stop_signals_vm_sizes_and_no_shared_volume(configs):
    for config in configs.values():
        assert config["kill_signal"] == "SIGTERM"
        assert 0 < config["kill_timeout"] <= 300  # Fly's maximum
        sized = [p for vm in config["vm"] for p in vm["processes"]]
        assert sorted(sized) == sorted(config["processes"]), config["app"]
        assert all(re.fullmatch(r"\d+(gb|mb)", vm["memory"]) for vm in config["vm"])
        for mount in config.get("mounts", []):  # volumes are per machine: one process group each
            assert len(mount.get("processes", [])) == 1, mount


def test_private_addresses_name_the_apps_and_ports_that_serve_them(configs):
    crawler = configs["crawler"]
    # Set in both fly.toml files, the one place it is defined for Fly (the code defaults nothing).
    assert configs["pipeline"]["env"]["CRAWLER_URL"] == configs["app"]["env"]["CRAWLER_URL"]
    for app in ("pipeline", "app"):
        url = urlsplit(configs[app]["env"]["CRAWLER_URL"])
        assert url.hostname == f"{crawler['app']}.flycast"  # Flycast: through the proxy, which wakes it
        assert url.port in [p["port"] for p in crawler["services"][0]["ports"]]
    graphql = urlsplit(configs["app"]["env"]["DAGSTER_GRAPHQL_URL"])
    assert graphql.hostname == f"{configs['pipeline']['app']}.flycast" and graphql.path == "/graphql"
    assert graphql.port in [p["port"] for p in configs["pipeline"]["services"][0]["ports"]]
    assert configs["pipeline"]["env"]["TILESHOP_CRAWL_MODE"] == "service"


def test_environment_names_are_names_the_code_reads(configs):
    known = read_variable_names()
    named = {(CONFIGS[app], name) for app, config in configs.items() for name in config.get("env", {})}
    named |= {(path, name) for path in DOCKERFILES.values() for name in dockerfile_env(path)}
    env_example = (PROJECT_ROOT / ".env.example").read_text()
    named |= {
        (".env.example", line.split("=", 1)[0])
        for line in env_example.splitlines()
        if re.match(r"^[A-Z][A-Z0-9_]*=", line)
    }
    unknown = sorted((where, name) for where, name in named if name not in known | TOOL_VARIABLES)
    assert unknown == []
    for plan_name in (
        "DATABASE_URL",
        "SUPABASE_URL",
        "SUPABASE_SERVICE_KEY",
        "ANTHROPIC_API_KEY",
        "CRAWLER_URL",
        "CRAWLER_TOKEN",
        "PORT",
        "DATA_PATH",
    ):
        assert plan_name in known, plan_name
        assert f"\n{plan_name}=" in env_example, plan_name


def test_dockerfiles_install_dependencies_before_sources_and_run_unprivileged():
    for path in DOCKERFILES.values():
        text = (PROJECT_ROOT / path).read_text()
        lines = [line for line in text.replace("\\\n", " ").splitlines() if line and not line.startswith("#")]
        stages = [line.split()[1:] for line in lines if line.startswith("FROM ")]
        assert lines[0].split()[:2] == ["FROM", "python:3.11-slim-bookworm"]  # deploy/base-image.sh builds this name
        named = [stage[2] for stage in stages if len(stage) == 3 and stage[1] == "AS"]
        assert all(stage[0] in ("python:3.11-slim-bookworm", *named) for stage in stages), path  # no other base
        first_source = next(i for i, line in enumerate(lines) if line.startswith("COPY tileshop_pipelines"))
        deps = next(
            i for i, line in enumerate(lines) if line.startswith("RUN ") and "pip install -c constraints.txt" in line
        )
        assert deps < first_source, path
        users = [line.split()[1] for line in lines if line.startswith("USER ")]
        assert users and users[-1] not in ("root", "0"), path
        assert any(line.startswith("HEALTHCHECK ") for line in lines), path
    for path in (DOCKERFILES["pipeline"], DOCKERFILES["app"]):  # the ONNX export is baked, not made at first use
        assert "tileshop model prepare" in (PROJECT_ROOT / path).read_text(), path
    assert "docker.io/library/python:3.11-slim-bookworm" in (PROJECT_ROOT / "deploy/base-image.sh").read_text()


def test_dockerignore_keeps_state_and_history_out_of_the_build_context():
    ignored = set((PROJECT_ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".tileshop", ".env"} <= ignored


def _memory_mb(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(gb|mb)", value).groups()
    return int(number) * (1024 if unit == "gb" else 1)


def _restart_policies(config: dict) -> dict[str, dict]:
    """process group -> its [[restart]] entry; each group named by exactly one."""
    policies: dict[str, dict] = {}
    for entry in config.get("restart", []):
        for process in entry["processes"]:
            assert process not in policies, f"{config['app']}: two restart policies for {process}"
            policies[process] = entry
    return policies


def test_machines_that_must_stay_up_restart_always_and_the_others_on_failure(configs):
    """Fly restarts a machine when its process exits, not on a failing check (`tileshop daemon`
    exits 1 when its daemons stop heartbeating); a machine Fly's proxy stops or suspends must not
    be restarted at once, so it is on-failure."""
    for config in configs.values():
        policies = _restart_policies(config)
        assert set(policies) == set(config["processes"]), config["app"]
        for process, entry in policies.items():
            assert entry["policy"] in ("always", "on-failure", "never"), entry
            stopped_by_proxy = any(
                process in s["processes"] and s.get("auto_stop_machines", "off") != "off" for s in services(config)
            )
            assert entry["policy"] == ("on-failure" if stopped_by_proxy else "always"), (config["app"], process)
    assert _restart_policies(configs["pipeline"])["daemon"]["policy"] == "always"
    assert _restart_policies(configs["pipeline"])["web"]["policy"] == "always"


def test_swap_where_memory_is_tight_and_suspend_where_the_machine_allows_it(configs):
    pipeline, app = configs["pipeline"], configs["app"]
    daemon_vm = next(vm for vm in pipeline["vm"] if "daemon" in vm["processes"])
    # the daemon's measured peak (docs/DEPLOY.md): 1.4-1.7 GB of its VM; swap absorbs a spike
    assert _memory_mb(daemon_vm["memory"]) <= 2048 and pipeline["swap_size_mb"] >= 512
    # Suspend (Fly): 2 GB of memory at most and no swap.
    service = app["http_service"]
    assert service["auto_stop_machines"] == "suspend" and service["auto_start_machines"] is True
    assert service["min_machines_running"] >= 1  # one warm machine: the first shopper never waits
    assert all(_memory_mb(vm["memory"]) <= 2048 for vm in app["vm"])
    for config in configs.values():
        if any(s.get("auto_stop_machines") == "suspend" for s in services(config)):
            assert "swap_size_mb" not in config, config["app"]


def test_machine_sizes_live_in_the_fly_toml_files_not_in_scale_commands():
    """`fly deploy` resets a machine to its [[vm]] section: a `fly scale vm|memory` is undone by the
    next deploy, so the docs change the fly.toml instead."""
    for page in sorted((PROJECT_ROOT / "docs").glob("*.md")) + [PROJECT_ROOT / "README.md"]:
        text = page.read_text()
        assert not re.search(r"fly scale (vm|memory)\b", text), page.name


def test_the_crawl_service_may_fetch_every_host_the_pipeline_asks_it_for(configs):
    """In `service` mode the pipeline asks the crawl service for its pages and for the products'
    documents: the crawl service, configured by crawler/fly.toml alone, allows the site's host and
    every document host the pipeline's fly.toml leaves it (a document host missing here was refused
    in production while every test passed)."""
    from crawler.settings import CrawlerSettings
    from tileshop_pipelines.settings import PipelineSettings

    pipeline = PipelineSettings.load({k: str(v) for k, v in configs["pipeline"]["env"].items()})
    crawler = CrawlerSettings.load({**configs["crawler"]["env"], "CRAWLER_TOKEN": "fly-config-test-token-123456"})
    assert pipeline.crawl_mode == "service"
    wanted = {urlsplit(pipeline.sitemap_url).hostname, *pipeline.document_hosts}
    assert wanted - set(crawler.allowed_hosts) == set()
