"""processes.start_catalog_process: the sample catalog in a child process, its documents on the CDN
stand-in at the port asked for."""

from __future__ import annotations

import socket

import httpx
import pytest

from tileshop_pipelines.catalog.extract import extract_product
from tileshop_pipelines.processes import start_catalog_process
from tileshop_pipelines.sample_catalog import CDN_HOST, build_catalog

from .support.ports import free_port


@pytest.mark.slow  # a child process
def test_the_child_serves_the_catalog_and_its_documents_on_the_cdn_port():
    port, cdn_port = free_port(), free_port(CDN_HOST)
    proc = start_catalog_process(port, 60, 7, cdn_port)
    try:
        product = next(p for p in build_catalog(60, 7).products if p.documents)
        html = httpx.get(f"http://127.0.0.1:{port}{product.path}").text
        [first, *_] = extract_product(html, f"http://127.0.0.1:{port}{product.path}")["documents"]
        assert first["url"].startswith(f"http://{CDN_HOST}:{cdn_port}/is/content/TileShop/pdf/")
        r = httpx.get(first["url"])
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_busy_cdn_port_is_refused_naming_the_option():
    with socket.socket() as busy:
        busy.bind((CDN_HOST, 0))
        busy.listen()
        with pytest.raises(RuntimeError, match=rf"port {busy.getsockname()[1]} on {CDN_HOST} .*--cdn-port"):
            start_catalog_process(free_port(), 60, 7, busy.getsockname()[1])
