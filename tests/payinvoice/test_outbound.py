"""Which merchant URLs payinvoice may call: the address classes, the https rule, resolution (with
the resolver swapped for a table), and what is kept of a reply."""

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payinvoice import outbound
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.outbound import IPAddress, address_refusal, check_url, reply_excerpt, resolve
from tests.utils.resolver import resolve_by_table

# Every class of address that is not global unicast, with one network of each.
REFUSED_NETWORKS = {
    "loopback": ["127.0.0.0/8", "::1/128"],
    "private": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    "link-local": ["169.254.0.0/16", "fe80::/10"],
    "CGNAT": ["100.64.0.0/10"],
    "unique local": ["fc00::/7"],
    "unspecified": ["0.0.0.0/32", "::/128"],
    "multicast": ["224.0.0.0/4", "ff00::/8"],
    "IPv4-mapped": ["::ffff:0:0/96"],
    "reserved and documentation": ["240.0.0.0/4", "192.0.2.0/24", "198.18.0.0/15", "2001:db8::/32"],
    "this network": ["0.0.0.0/8"],
    "NAT64": ["64:ff9b::/96"],
    "Teredo": ["2001::/32"],
}
GLOBAL = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700::1111", "2a00:1450:4001::200e"]


def addresses_in(network: str) -> st.SearchStrategy[IPAddress]:
    net = ipaddress.ip_network(network)
    first = int(net.network_address)
    return st.integers(first, first + net.num_addresses - 1).map(ipaddress.ip_address)


@pytest.mark.parametrize(
    "network", [n for networks in REFUSED_NETWORKS.values() for n in networks]
)
@given(data=st.data())
def test_every_address_of_a_non_global_class_is_refused(network: str, data: st.DataObject) -> None:
    address = data.draw(addresses_in(network))

    assert address_refusal(address) is not None, address


@pytest.mark.parametrize("address", GLOBAL)
def test_global_unicast_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@given(address=st.ip_addresses(v=4))
def test_an_ipv4_address_mapped_into_ipv6_is_refused_whatever_it_is(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")

    assert address_refusal(mapped) == "an IPv4-mapped IPv6 address"


@given(address=st.ip_addresses(v=4))
def test_a_6to4_address_is_judged_by_the_ipv4_address_it_embeds(address: ipaddress.IPv4Address) -> None:
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80) | 1)

    assert sixtofour.sixtofour == address
    assert (address_refusal(sixtofour) is None) == (address_refusal(address) is None)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"), ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"), ("100.64.0.1", "a shared (CGNAT) address"),
        ("fd12::1", "a unique local address"), ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"), ("239.1.2.3", "a multicast address"),
        ("ff0e::1", "a multicast address"), ("::ffff:169.254.169.254", "an IPv4-mapped IPv6 address"),
    ],
)  # fmt: skip
def test_a_refusal_names_the_class(address: str, why: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == why


def refused(call: Callable[[], object]) -> Refusal:
    with pytest.raises(Refusal) as caught:
        call()
    assert caught.value.code == ErrorType.URL_NOT_ALLOWED
    return caught.value


def test_http_is_refused_unless_private_urls_are_allowed() -> None:
    assert "https" in refused(lambda: check_url("http://shop.example/hooks", allow_private=False)).message
    assert check_url("http://shop.example/hooks", allow_private=True).hostname == "shop.example"
    assert check_url("https://shop.example/hooks", allow_private=False).hostname == "shop.example"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The resolver, swapped for a table: a name missing from it does not resolve."""
    table: dict[str, list[str]] = {}
    resolve_by_table(monkeypatch, table)
    return table


async def resolve_refusal(url: str) -> Refusal:
    with pytest.raises(Refusal) as caught:
        await resolve(url, allow_private=False)
    assert caught.value.code == ErrorType.URL_NOT_ALLOWED
    return caught.value


async def test_a_name_resolving_to_a_private_address_is_refused(dns: dict[str, list[str]]) -> None:
    dns["hooks.shop.example"] = ["10.1.2.3"]

    refusal = await resolve_refusal("https://hooks.shop.example/payinvoice")

    assert refusal.message == "the host hooks.shop.example is a private address"


async def test_one_private_answer_among_public_ones_is_enough_to_refuse(dns: dict[str, list[str]]) -> None:
    dns["hooks.shop.example"] = ["93.184.215.14", "169.254.169.254"]

    await resolve_refusal("https://hooks.shop.example/payinvoice")


async def test_a_name_that_does_not_resolve_is_refused(dns: dict[str, list[str]]) -> None:
    assert "does not resolve" in (await resolve_refusal("https://nowhere.example/hooks")).message


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/hooks", "https://169.254.169.254/latest/meta-data", "https://[::1]:9464/",
     "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/", "http://93.184.215.14/hooks"],
)  # fmt: skip
async def test_literal_addresses_are_checked_too(dns: dict[str, list[str]], url: str) -> None:
    await resolve_refusal(url)


async def test_the_target_holds_the_checked_addresses_and_keeps_the_name(dns: dict[str, list[str]]) -> None:
    dns["hooks.shop.example"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    target = await resolve("https://hooks.shop.example:8443/payinvoice?x=1", allow_private=False)

    assert [str(a) for a in target.addresses] == dns["hooks.shop.example"]
    assert (target.url.host, target.url.port, target.url.path) == ("hooks.shop.example", 8443, "/payinvoice")


async def test_private_addresses_are_allowed_when_the_setting_says_so(dns: dict[str, list[str]]) -> None:
    dns["receiver.local"] = ["127.0.0.1"]

    target = await resolve("http://receiver.local:8080/hooks", allow_private=True)

    assert [str(a) for a in target.addresses] == ["127.0.0.1"]


@given(raw=st.binary(max_size=2000))
def test_an_excerpt_is_short_and_storable(raw: bytes) -> None:
    excerpt = reply_excerpt(raw)

    assert len(excerpt) <= outbound.EXCERPT_CHARS
    assert "\x00" not in excerpt
    assert all(c.isprintable() or c == " " for c in excerpt)
    excerpt.encode("utf-8")  # raises on an unpaired surrogate


def test_an_excerpt_keeps_the_start_of_a_readable_reply() -> None:
    assert reply_excerpt(b'{"ok":true}') == '{"ok":true}'
    assert reply_excerpt(b"a\x00b\nc") == "a\ufffdb\ufffdc"
    assert reply_excerpt(b"x" * 1000) == "x" * 200
