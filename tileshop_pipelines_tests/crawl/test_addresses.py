"""The fetch guard's rules on their own: which hosts and addresses a crawl-service fetch may reach."""

from __future__ import annotations

import ipaddress

import pytest

from tileshop_pipelines.crawl.addresses import AddressRefused, FetchGuard, address_refusal, parse_networks

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "metadata",
    "169.254.170.2": "metadata",
    "fd00:ec2::254": "metadata",
    "100.100.100.200": "metadata",
    "168.63.129.16": "metadata",
    "192.0.0.192": "metadata",
    "169.254.1.1": "link-local",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fdaa::3": "private",  # unique-local; Fly's 6PN (.internal names)
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "240.0.0.1": "reserved",
    "100.64.0.1": "not a globally routable",  # CGNAT
    "198.18.0.1": "private",
    "192.0.2.10": "private",  # benchmarking, documentation
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "metadata",  # IPv4-mapped
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1": "private",  # NAT64 of 10.0.0.1
}


@pytest.mark.parametrize(("address", "reason"), REFUSED.items())
def test_non_public_and_metadata_addresses_are_refused(address, reason):
    assert reason in address_refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::6810:84e5", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_the_allow_list_and_the_scheme_come_first():
    guard = FetchGuard(allowed_hosts=frozenset({"www.tileshop.com", "tileshop.com"}))
    guard.check_url("https://WWW.Tileshop.com./products/a-1")  # case and the trailing dot do not matter
    guard.check_url("https://tileshop.com:8443/x")  # hosts, not ports
    for url, message in [
        ("https://evil.example/products/a-1", "host 'evil.example' is not on the allow-list"),
        ("https://www.tileshop.com.evil.example/", "not on the allow-list"),
        ("file:///etc/passwd", "scheme 'file' is not fetched"),
        ("gopher://www.tileshop.com/", "scheme 'gopher'"),
        ("http:///nohost", "names no host"),
    ]:
        with pytest.raises(AddressRefused, match=message):
            guard.check_url(url)


def test_an_ip_literal_is_checked_without_dns():
    guard = FetchGuard(allowed_hosts=frozenset({"169.254.169.254", "10.0.0.5", "[::1]", "::1"}))
    with pytest.raises(AddressRefused, match="169.254.169.254 is a cloud metadata address"):
        guard.check_url("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(AddressRefused, match="10.0.0.5 is a private address"):
        guard.check_url("http://10.0.0.5/")
    with pytest.raises(AddressRefused, match="::1 is a loopback address"):
        guard.check_url("http://[::1]:8080/")


def test_permitted_networks_open_local_addresses_but_never_metadata():
    guard = FetchGuard(permitted=parse_networks(["127.0.0.1", "169.254.0.0/16"]))
    guard.check_url("http://127.0.0.1:9999/products/a-1")
    assert guard.check_addresses("localhost", ["127.0.0.1", "10.0.0.1"]) == ["127.0.0.1"]  # only checked ones
    with pytest.raises(AddressRefused, match="127.0.0.2 is a loopback"):
        guard.check_url("http://127.0.0.2/")
    with pytest.raises(AddressRefused, match="cloud metadata"):
        guard.check_url("http://169.254.169.254/")
    guard.check_url("http://169.254.3.4/")


def test_a_name_whose_every_answer_is_refused_is_refused_naming_them():
    with pytest.raises(
        AddressRefused,
        match=r"rebind.example \(10.0.0.1\) is a private address; .*"
        r"rebind.example \(169.254.169.254\) is a cloud metadata",
    ):
        FetchGuard().check_addresses("rebind.example", ["10.0.0.1", "169.254.169.254"])
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not an IP address or network"):
        parse_networks(["10.0.0.0/33"])
