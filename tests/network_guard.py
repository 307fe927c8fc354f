"""No test reaches the internet: every socket may talk to this machine only.

Installed for the whole session by `tests/conftest.py`. A connection to any address that is not
loopback, and a name lookup of anything but a local name, raise `NetworkBlocked` at once, so
a test that would have called a real provider fails loudly instead of passing on the network.
Tests marked `external` (off by default) are let through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1", ""})


class NetworkBlocked(RuntimeError):
    """A test tried to leave this machine."""


_allowed = False


def _is_local(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _checked_connect(original: Callable[..., Any]) -> Callable[..., Any]:
    def connect(self: socket.socket, address: Any, *args: Any, **kwargs: Any) -> Any:
        if (
            not _allowed
            and self.family in (socket.AF_INET, socket.AF_INET6)
            and not _is_local(address[0])
        ):
            raise NetworkBlocked(f"a test tried to connect to {address!r}: tests stay offline")
        return original(self, address, *args, **kwargs)

    return connect


def _checked_getaddrinfo(original: Callable[..., Any]) -> Callable[..., Any]:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _allowed and not _is_local(host):
            raise NetworkBlocked(f"a test tried to resolve {host!r}: tests stay offline")
        return original(host, *args, **kwargs)

    return getaddrinfo


def install() -> None:
    socket.socket.connect = _checked_connect(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _checked_connect(socket.socket.connect_ex)  # type: ignore[method-assign]
    socket.getaddrinfo = _checked_getaddrinfo(socket.getaddrinfo)


@contextmanager
def allowed() -> Iterator[None]:
    """Let the network through (for `external` tests only)."""
    global _allowed  # noqa: PLW0603 - one switch for the whole process, by design
    _allowed = True
    try:
        yield
    finally:
        _allowed = False


__all__ = ["NetworkBlocked", "allowed", "install"]
