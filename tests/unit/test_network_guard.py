"""The suite cannot reach the internet (tests/network_guard.py)."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.network_guard import NetworkBlocked


def test_a_connection_to_a_public_address_is_refused_before_it_is_made() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NetworkBlocked, match="tests stay offline"),
    ):
        sock.connect(("93.184.216.34", 80))


def test_a_name_lookup_of_a_public_name_is_refused() -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("example.com", 443)


async def test_an_http_client_without_a_mock_transport_fails_offline() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises((NetworkBlocked, httpx.ConnectError)):
            await client.get("https://api.kie.ai/api/v1/chat/credit")


def test_loopback_stays_open_for_the_local_services() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
