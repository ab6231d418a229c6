"""The production reverse proxy (``deploy/nginx.conf``, rendered by tests/support/nginx.py)
in front of the app as operators run it (``python -m app serve``, APP_TRUSTED_PROXIES=
127.0.0.1): it cuts slow clients that uvicorn alone would wait for, it replaces a client's
own X-Forwarded-For, and its health check stays up while a thousand slow clients hang on.
"""

from __future__ import annotations

import re
import resource
import secrets
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.live import LiveServer, ServerClock
from tests.support.nginx import Nginx
from tests.support.remote import RemoteBrowser

HEADER_TIMEOUT = 2  # seconds: client_header_timeout of the fast variant
SLACK = 2.0
IP_MAX_ATTEMPTS = 5
IP_WINDOW = 15 * 60  # APP_IP_WINDOW's default
SLOW_CONNECTIONS = 1000
HEALTH_CHECKS = 20
LOOPBACK = "This computer (a local connection)"  # the sessions page on nginx's 127.0.0.1


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"APP_TRUSTED_PROXIES": "127.0.0.1", "APP_IP_MAX_ATTEMPTS": str(IP_MAX_ATTEMPTS)}
    server = LiveServer(tmp_path_factory.mktemp("behind-nginx"), workers=1, env=env)
    try:
        server.start()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


def _started(nginx: Nginx) -> Nginx:
    try:
        return nginx.start()
    except RuntimeError as error:
        nginx.stop()
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def proxy(app_server: LiveServer) -> Iterator[Nginx]:
    """The deployed config with a short header timeout, so that waiting it out is quick."""
    nginx = _started(
        Nginx(app_server.port, timeouts={"client_header_timeout": f"{HEADER_TIMEOUT}s"})
    )
    yield nginx
    nginx.stop()


class SpoofingBrowser(RemoteBrowser):
    """A browser whose every request carries an X-Forwarded-For of its own choosing."""

    def __init__(self, base_url: str, forged: str) -> None:
        super().__init__(base_url)
        self.forged = forged

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Forwarded-For": self.forged, **(kwargs.pop("headers", None) or {})}
        return super().request(method, path, headers=headers, **kwargs)


def _closed(sock: socket.socket) -> bool:
    """Whether the peer has closed (or reset) ``sock``, without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


def test_a_slowloris_connection_is_cut_within_the_header_timeout(proxy: Nginx) -> None:
    trickle = iter(b"X-Slow: " + b"a" * 200)
    answer = b""
    cut_after: float | None = None
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(0.2)
        # One byte every 0.2 s of a header line that never ends: each read gives nginx
        # something, none of them resets its timer.
        while time.monotonic() - started < HEADER_TIMEOUT + SLACK:
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                try:
                    sock.send(bytes([next(trickle)]))
                except (BrokenPipeError, ConnectionResetError):
                    cut_after = time.monotonic() - started
                    break
                continue
            except ConnectionResetError:
                pass  # reset_timedout_connection: a RST rather than a FIN
            cut_after = time.monotonic() - started
            break
    assert cut_after is not None, f"still open after {HEADER_TIMEOUT + SLACK} s"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
    assert HEADER_TIMEOUT - 0.3 <= cut_after <= HEADER_TIMEOUT + SLACK, cut_after
    log = proxy.log_text()
    assert "client timed out" in log, proxy.log_tail()
    assert "while reading client request headers" in log, proxy.log_tail()


def test_a_clients_own_x_forwarded_for_does_not_reach_the_throttle(
    app_server: LiveServer, proxy: Nginx
) -> None:
    clock = ServerClock(app_server.base_url)  # direct: nginx answers /_test/ with 404
    try:
        email = f"{secrets.token_hex(6)}@example.com"
        person = SpoofingBrowser(proxy.base_url, "10.0.0.100")
        person.register(email)  # an attempt from 127.0.0.1; its window then passes
        clock.advance(IP_WINDOW + 1)

        # Five failures, each from a different address if X-Forwarded-For were believed.
        for n in range(1, IP_MAX_ATTEMPTS + 1):
            forged = f"10.0.0.{n}" if n % 2 else f"10.0.0.{n}, 127.0.0.1"
            guesser = SpoofingBrowser(proxy.base_url, forged)
            response = guesser.login(email, "not the password at all")
            assert response.status_code == 401, (n, response.status_code, response.text)

        # The sixth, from yet another "address" and with the right password: all six came
        # from 127.0.0.1, and that address has used up its attempts.
        sixth = SpoofingBrowser(proxy.base_url, "10.0.0.6").login(email)
        assert sixth.status_code == 429, (sixth.status_code, sixth.text)
        assert 0 < int(sixth.headers["retry-after"]) <= IP_WINDOW, sixth.headers

        clock.advance(IP_WINDOW + 1)
        person.forged = "10.9.8.7"
        signed_in = person.login(email)
        assert signed_in.status_code == 303, (signed_in.status_code, signed_in.text)
        page = person.get("/sessions")
    finally:
        clock.close()
    assert page.status_code == 200, page.text
    # The session and every event (registered, five failed sign-ins, signed in), all of
    # them from nginx's address; no other address anywhere on the page.
    assert page.text.count(LOOPBACK) >= 1 + 7, page.text
    assert re.findall(r"\b\d{1,3}(?:\.\d{1,3}){2}\.(?:\d{1,3}|x)\b", page.text) == []
    assert "private network" not in page.text
    assert page.text.count("Failed sign-in") == IP_MAX_ATTEMPTS
    assert "10.0.0." not in page.text
    assert "10.9.8." not in page.text


def _allow_open_files(needed: int) -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE to ``needed`` (within the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return soft, hard


def test_healthz_keeps_answering_while_1000_slow_connections_are_open(
    app_server: LiveServer,
) -> None:
    # The deployed timeouts, unchanged (10 s for a request head): the slow connections stay
    # open for the whole test.
    nginx = _started(Nginx(app_server.port))
    limits = _allow_open_files(SLOW_CONNECTIONS + 256)
    slow: list[socket.socket] = []
    try:
        for _ in range(SLOW_CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", nginx.port), timeout=5)
            slow.append(sock)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")

        timings: list[float] = []
        for _ in range(HEALTH_CHECKS):
            started = time.monotonic()
            response = httpx.get(f"{nginx.base_url}/healthz", timeout=5)  # a new connection
            timings.append(time.monotonic() - started)
            assert response.status_code == 200, (response.status_code, response.text)
            assert response.text.strip() == "ok", response.text
        assert max(timings) < 1.0, timings

        # The app's own location too: limit_conn (50 per address, all of them 127.0.0.1)
        # counts requests whose head has arrived, so the slow ones do not use it up.
        login_page = httpx.get(f"{nginx.base_url}/login", timeout=5)
        assert login_page.status_code == 200, login_page.status_code

        still_open = sum(not _closed(sock) for sock in slow)
        assert still_open == SLOW_CONNECTIONS, f"nginx dropped {SLOW_CONNECTIONS - still_open}"
    finally:
        for sock in slow:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
        nginx.stop()
