"""Where the relay may connect: outbound targets (``callback_url``, ``api_base_url``,
``smtp_host``) must be public internet addresses, so that an owner key cannot make the
relay reach the server's own network (SSRF: loopback, private, link-local, CGNAT,
multicast, unspecified, reserved and cloud metadata addresses).

Checked twice: when a connection is saved (``refuse_private_target``: IP literals in every
spelling ``inet_aton`` accepts — ``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1`` —
and names that are local by definition), and when connecting (``GuardedBackend`` for HTTP,
``vetted_address`` for SMTP), after DNS resolution: the connection goes to the address that
was checked, so a name that resolves (or later re-resolves) to a private address is
refused then too. ``IJAZA_ALLOW_PRIVATE_TARGETS=true`` lifts both checks (tests and
single-host installs whose platforms run next to Ijaza).

Errors: ``PrivateTarget`` (a ``ValueError``) names the target, never what it answered.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Names that are local whatever DNS says (RFC 6761 and the clouds' metadata names).
LOCAL_NAMES = ("localhost", "metadata.google.internal", "metadata")
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class PrivateTarget(ValueError):
    """The target is, or resolves to, an address that is not public."""


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells (brackets, IPv4 integer/octal/hex/short forms
    included), or None for a name."""
    host = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is a public unicast address (IPv4 inside IPv6 is judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 else None)
        if embedded is not None:
            return is_public(embedded)
        if ip.teredo is not None:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def host_of(target: str) -> str:
    """The host of a URL, or ``target`` itself when it is a bare host (``smtp_host``)."""
    if "://" in target:
        try:
            return urlsplit(target).hostname or ""
        except ValueError as exc:
            raise PrivateTarget(f"'{target}' is not a URL") from exc
    return target


def refuse_private_target(target: str) -> None:
    """Raise ``PrivateTarget`` when ``target`` (a URL or a host) names a non-public
    address or a local name. Names are checked again after resolution when connecting."""
    host = host_of(target).strip().rstrip(".").lower()
    if not host:
        raise PrivateTarget(f"'{target}' names no host")
    ip = literal_address(host)
    if ip is not None:
        if not is_public(ip):
            raise PrivateTarget(f"'{host}' is not a public internet address")
        return
    if host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES) or "." not in host:
        raise PrivateTarget(f"'{host}' is a local name, not a public internet host")


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def vetted_address(host: str, port: int, *, resolver: Resolver = resolve) -> str:
    """The address to connect to for ``host``: refused (``PrivateTarget``) unless every
    address it resolves to is public, so a name cannot mix in a private one."""
    ip = literal_address(host)
    if ip is not None:
        addresses = [str(ip)]
    else:
        refuse_private_target(host)
        try:
            addresses = await resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve '{host}'") from exc
    if not addresses:
        raise httpcore.ConnectError(f"'{host}' resolves to no address")
    for address in addresses:
        parsed = literal_address(address)
        if parsed is None or not is_public(parsed):
            raise PrivateTarget(f"'{host}' resolves to a non-public address")
    return addresses[0]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to vetted public addresses (TLS still
    checks the certificate against the name asked for: httpcore passes it as SNI)."""

    def __init__(self, resolver: Resolver = resolve) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver = resolver

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        address = await vetted_address(host, port, resolver=self._resolver)
        return await self._inner.connect_tcp(address, port, timeout=timeout,
                                             local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise PrivateTarget("unix sockets are not an outbound target")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over ``GuardedBackend``; a refused target is a ``ConnectError``
    (the relay's "transport" failure), never a request sent."""

    def __init__(self, *, resolver: Resolver = resolve) -> None:
        super().__init__()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=100,
            max_keepalive_connections=20, keepalive_expiry=5.0,
            network_backend=GuardedBackend(resolver))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except PrivateTarget as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc


def outbound_client(*, allow_private: bool, timeout: float,
                    resolver: Resolver = resolve) -> httpx.AsyncClient:
    """The one shared client for platform API calls: default timeouts, no redirects
    followed (a redirect could lead anywhere), and the address guard unless
    ``allow_private``."""
    transport = None if allow_private else GuardedTransport(resolver=resolver)
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False,
                             transport=transport, trust_env=False)
