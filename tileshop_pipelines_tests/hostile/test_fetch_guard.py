"""The fetch guard inside HttpTransport (what the crawl service fetches with), against local servers.

Before: any URL was fetched and aiohttp followed redirects anywhere (loopback, private, cloud
metadata), handing back status and headers. Now every hop is checked: the host against the
allow-list, an IP literal or each DNS answer against the address rules; a refusal is an answer of
kind "refused" naming the URL or address.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.resolver import DefaultResolver

from tileshop_pipelines.crawl.addresses import FetchGuard, parse_networks
from tileshop_pipelines.crawl.transports import MAX_REDIRECTS, HttpTransport

LOCAL = parse_networks(["127.0.0.1"])
PAGE = "<html><body><h1>fine</h1></body></html>"


def _get(url: str, guard: FetchGuard | None, headers: dict | None = None):
    async def go():
        async with HttpTransport(user_agent="test", max_connections=2, timeout_s=5, guard=guard) as transport:
            return await transport.get(url, headers or {})

    return asyncio.run(go())


def test_without_the_local_permit_the_sample_site_is_refused(site):
    url = site.serve("/products/a-100001", PAGE)
    refused = _get(url, FetchGuard(allowed_hosts=frozenset({"127.0.0.1"})))
    assert refused.error_kind == "refused" and refused.status_code is None
    assert refused.error == "127.0.0.1 is a loopback address; refused"
    ok = _get(url, FetchGuard(allowed_hosts=frozenset({"127.0.0.1"}), permitted=LOCAL))
    assert (ok.status_code, ok.error_kind, ok.html) == (200, None, PAGE)


def test_a_host_off_the_allow_list_is_refused_before_any_request(site):
    url = site.serve("/products/a-100001", PAGE).replace("127.0.0.1", "localhost")
    answer = _get(url, FetchGuard(allowed_hosts=frozenset({"www.tileshop.com"}), permitted=LOCAL))
    assert answer.error_kind == "refused" and "host 'localhost' is not on the allow-list" in answer.error


def test_a_name_is_refused_by_what_it_resolves_to(site):
    url = site.serve("/products/a-100001", PAGE).replace("127.0.0.1", "localhost")
    answer = _get(url, FetchGuard(allowed_hosts=frozenset({"localhost"})))
    assert answer.error_kind == "refused" and answer.error == "localhost (127.0.0.1) is a loopback address; refused"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "169.254.169.254 is a cloud metadata address"),
        ("http://[fd00:ec2::254]/latest/", "fd00:ec2::254 is a cloud metadata address"),
        ("http://10.0.0.7/admin", "10.0.0.7 is a private address"),
        ("http://127.0.0.2:6379/", "127.0.0.2 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "is a loopback address (as 127.0.0.1 inside an IPv6 address)"),
        ("http://evil.example/", "host 'evil.example' is not on the allow-list"),
        ("file:///etc/passwd", "scheme 'file' is not fetched"),
    ],
)
def test_redirects_are_checked_hop_by_hop(site, target, message):
    url = site.serve("/products/a-100001", b"", status=302, headers={"Location": target})
    hosts = frozenset({"127.0.0.1", "169.254.169.254", "fd00:ec2::254", "10.0.0.7", "127.0.0.2", "::ffff:127.0.0.1"})
    answer = _get(url, FetchGuard(allowed_hosts=hosts, permitted=LOCAL))
    assert answer.error_kind == "refused" and message in answer.error


def test_an_allowed_redirect_is_followed_and_a_loop_is_bounded(site):
    site.serve("/products/b-100002", PAGE)
    url = site.serve("/products/a-100001", b"", status=301, headers={"Location": "/products/b-100002"})
    guard = FetchGuard(allowed_hosts=frozenset({"127.0.0.1"}), permitted=LOCAL)
    assert _get(url, guard).html == PAGE
    loop = site.serve("/loop", b"", status=302, headers={"Location": "/loop"})
    answer = _get(loop, guard)
    assert answer.error_kind == "refused" and f"more than {MAX_REDIRECTS} redirects" in answer.error
    assert _get(loop, None).error == answer.error  # the pipeline's own transport bounds them the same way


def test_the_connection_goes_to_the_address_that_was_checked(site, monkeypatch):
    """DNS stands in here (no DNS server exists on this machine): a rebinding answer lists a
    private address beside a permitted one. Only the checked address is handed to aiohttp, so
    the request reaches the local site; with only the private answer it is refused."""
    url = site.serve("/products/a-100001", PAGE).replace("127.0.0.1", "rebind.test")
    answers = {"now": ["10.9.8.7", "127.0.0.1"]}
    calls = []

    async def resolve(self, host, port=0, family=0):
        calls.append(host)
        return [
            {"hostname": host, "host": a, "port": port, "family": 2, "proto": 6, "flags": 0} for a in answers["now"]
        ]

    monkeypatch.setattr(DefaultResolver, "resolve", resolve)
    guard = FetchGuard(allowed_hosts=frozenset({"rebind.test"}), permitted=LOCAL)
    assert _get(url, guard).html == PAGE and calls == ["rebind.test"]  # one lookup: checked and used
    answers["now"] = ["10.9.8.7"]
    answer = _get(url, guard)
    assert answer.error == "rebind.test (10.9.8.7) is a private address; refused"
