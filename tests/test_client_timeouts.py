"""A stalled topi must not hang the shop: every call ends within the configured timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from django_topi.client import TopiClient, TopiUnavailable


@pytest.fixture
def stalled_server() -> Iterator[str]:
    """A TCP server on localhost that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def stalled_client(base: str, max_retries: int) -> TopiClient:
    client = TopiClient(
        client_id="c",
        client_secret="s",
        api_base_url=base,
        token_url=f"{base}/oauth2/token",
        timeout=(0.5, 0.3),
        max_retries=max_retries,
        retry_backoff=0,
    )
    cache.set(client.tokens.cache_key, "cached-token")
    return client


def test_a_stalled_create_offer_raises_unavailable_within_the_read_timeout(stalled_server):
    client = stalled_client(stalled_server, max_retries=2)

    started = time.monotonic()
    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer({"seller_offer_reference": "SO-1"})
    elapsed = time.monotonic() - started

    assert excinfo.value.timeout is True
    assert str(excinfo.value) == "topi POST /v1/offers: no response topi did not answer in time"
    assert 0.3 <= elapsed < 1.0  # one attempt: a create is never repeated after a read timeout


def test_a_stalled_get_gives_up_after_its_retries(stalled_server):
    client = stalled_client(stalled_server, max_retries=2)

    started = time.monotonic()
    with pytest.raises(TopiUnavailable):
        client.get_offer("739b63c2-9e58-4964-b38d-4ebb424de242")
    elapsed = time.monotonic() - started

    assert 0.9 <= elapsed < 2.0  # three attempts of 0.3 s


def test_a_stalled_token_endpoint_raises_unavailable(stalled_server):
    client = stalled_client(stalled_server, max_retries=0)
    cache.clear()

    started = time.monotonic()
    with pytest.raises(TopiUnavailable):
        client.get_offer("739b63c2-9e58-4964-b38d-4ebb424de242")

    assert time.monotonic() - started < 1.0


def test_connection_refused_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = stalled_client(f"http://127.0.0.1:{port}", max_retries=0)

    with pytest.raises(TopiUnavailable) as excinfo:
        client.create_offer({})

    assert excinfo.value.timeout is False
    assert excinfo.value.message == "topi could not be reached"
