"""The URLs merchants make us call (webhook endpoints, the external credit check): which we may,
and how we call them.

A merchant's URL must not reach what only we can reach: the cloud's metadata service
(169.254.169.254), our own metrics port, a compose service name. So a URL is refused
(`url_not_allowed`) unless it is https and every address its host resolves to is global
unicast, both when it is saved and before each call; the call then connects to an address that
was checked (a second DNS answer cannot swap it), keeps the name for the Host header and for
TLS (SNI and the certificate's check), and follows no redirect. `PAYINVOICE_ALLOW_PRIVATE_URLS`
lifts both rules for local receivers (`make run`, the tests, the benchmark).

`check_url`, `address_refusal`, `checked_addresses` and `reply_excerpt` are pure; `resolve`
looks the host up (I/O) and answers the checked addresses; `pinned_post` makes the call.
"""

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import SplitResult, urlsplit

import httpx

from payinvoice.domain.errors import ErrorType, Refusal

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

# What is kept and shown of a reply: the start of a 2xx one, never a byte of any other.
EXCERPT_CHARS = 200

# Not global unicast, though `is_global` calls them global (or does in some Python versions).
_NOT_GLOBAL: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (ipaddress.IPv4Network("100.64.0.0/10"), "a shared (CGNAT) address"),
    (ipaddress.IPv6Network("fc00::/7"), "a unique local address"),
    (ipaddress.IPv6Network("fe80::/10"), "a link-local address"),
    (ipaddress.IPv6Network("fec0::/10"), "a site-local address"),
    (ipaddress.IPv6Network("64:ff9b::/96"), "a NAT64 address"),  # reaches the IPv4 it embeds
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a NAT64 address"),
)


def _refusal(message: str) -> Refusal:
    return Refusal(ErrorType.URL_NOT_ALLOWED, message)


def address_refusal(address: IPAddress) -> str | None:
    """Why this address may not be called; None when it is global unicast."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if address.sixtofour is not None and address_refusal(address.sixtofour) is not None:
            return "a 6to4 address of a non-global IPv4 address"
        if address.teredo is not None:
            return "a Teredo address"
    for refused, why in (
        (address.is_unspecified, "the unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
    ):
        if refused:
            return why
    for network, why in _NOT_GLOBAL:
        if address.version == network.version and address in network:
            return why
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def check_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts once its shape allows calling it: http(s) with a host, and https unless
    private URLs are allowed. (The schemas' `http_url` refused control characters already.)"""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise _refusal("the URL is not valid") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise _refusal("the URL must be an http(s) URL with a host")
    if scheme != "https" and not allow_private:
        raise _refusal("the URL must use https")
    return parts


def checked_addresses(host: str, addresses: list[IPAddress], *, allow_private: bool) -> list[IPAddress]:
    """The addresses, once every one of them may be called. A name with one private answer
    among public ones is refused: which answer a call would get is the DNS server's choice."""
    if not addresses:
        raise _refusal(f"the host {host} does not resolve")
    if not allow_private:
        for address in addresses:
            why = address_refusal(address)
            if why is not None:
                raise _refusal(f"the host {host} is {why}")
    return addresses


def reply_excerpt(raw: bytes) -> str:
    """What is kept of a 2xx reply: its first characters, with control characters, NUL and
    anything undecodable replaced, so that any text column holds it."""
    text = raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
    return "".join(c if c.isprintable() or c == " " else "\ufffd" for c in text)


async def resolve_host(host: str, port: int) -> list[IPAddress]:
    """The host's addresses in the resolver's order, without repeats (I/O: the system resolver).
    An IP literal is its own answer; a name that does not resolve answers none."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class Target:
    """A URL we may call, and its host's checked addresses: the only ones to connect to."""

    url: httpx.URL
    addresses: tuple[IPAddress, ...]


async def resolve(url: str, *, allow_private: bool) -> Target:
    """The URL and the addresses to call it at, every one checked; refused (`url_not_allowed`)
    when its shape or any address of its host may not be called, or its host does not resolve."""
    check_url(url, allow_private=allow_private)
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise _refusal("the URL is not valid") from None
    host = parsed.raw_host.decode("ascii")  # the IDNA form, as DNS and TLS know it
    addresses = await resolve_host(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    return Target(parsed, tuple(checked_addresses(host, addresses, allow_private=allow_private)))


async def check_saved_url(url: str, *, allow_private: bool) -> None:
    """The check when a merchant saves a URL. With private URLs allowed only its shape is
    checked: a local receiver's name need not resolve where the API runs."""
    if allow_private:
        check_url(url, allow_private=True)
    else:
        await resolve(url, allow_private=False)


@asynccontextmanager
async def pinned_post(
    target: Target, *, content: bytes, headers: Mapping[str, str], seconds: float
) -> AsyncIterator[httpx.Response]:
    """POST to the target's checked addresses in turn (the next one only when a connection is
    refused), never to what its name resolves to later; the name stays in the Host header and
    in TLS (httpx's `sni_hostname` extension: SNI and the certificate's hostname check). No
    redirect is followed, and no proxy from the environment is used. `seconds` bounds each phase
    (connect, write, read); the caller's `asyncio.timeout` bounds the whole exchange."""
    url = target.url
    pinned = dict(headers) | {"Host": url.netloc.decode("ascii")}
    extensions = {"sni_hostname": url.raw_host.decode("ascii")}
    async with httpx.AsyncClient(timeout=seconds, follow_redirects=False, trust_env=False) as client:
        for index, address in enumerate(target.addresses):
            request = client.build_request(
                "POST", url.copy_with(host=str(address)), content=content, headers=pinned,
                extensions=extensions,
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError:
                if index == len(target.addresses) - 1:
                    raise
                continue
            try:
                yield response
            finally:
                await response.aclose()
            return
