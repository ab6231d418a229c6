"""Forward auth for real: ``deploy/nginx-gateway.conf`` (rendered by
:mod:`tests.support.nginx`) in front of the app and of :class:`EchoUpstream`, a small app
of the tests' own that stands for the operator's: it answers every request with what it
received (method, path, headers, body) and remembers it, so a test sees exactly what a
protected app would be told - and whether a request reached it at all.

The test variant changes two things beyond what :class:`~tests.support.nginx.Nginx` does
(plain HTTP, free ports, temporary paths):

- the app's upstream keeps no idle connections, so that consecutive requests reach
  either worker (with keep-alive, nginx's one worker would reuse one connection, one
  worker);
- which worker answered the verify subrequest comes back as ``X-Verified-By`` (the test
  clock's ``X-Test-Process``): "refused on every worker" is then a fact, not a hope.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.live import REPO_ROOT
from tests.support.nginx import Directive, Nginx, parse, render, variant_of
from tests.support.servers import free_port

__all__ = ["GATEWAY_CONFIG", "EchoUpstream", "GatewayNginx", "Received"]

GATEWAY_CONFIG = REPO_ROOT / "deploy" / "nginx-gateway.conf"
UPSTREAM_COOKIE = "upstream=its-own; Path=/"  # the protected app's own cookie, always sent


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, list[str]]  # lower-cased names; every value a client may repeat
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower(), [])
        assert len(values) <= 1, (name, values)
        return values[0] if values else None


class EchoUpstream:
    """A plain HTTP server in a thread of the test process: ``200`` JSON of what it got."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers: dict[str, list[str]] = {}
                for name, value in self.headers.items():
                    headers.setdefault(name.lower(), []).append(value)
                got = Received(self.command, self.path, headers, body)
                with upstream._lock:
                    upstream.received.append(got)
                payload = json.dumps(
                    {"method": got.method, "path": got.path, "headers": headers}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Set-Cookie", UPSTREAM_COOKIE)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer  # noqa: N815  (http.server's names)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the tests read .received

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> EchoUpstream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [got for got in self.received if got.path == path]


def _locations(server: Directive) -> Iterator[Directive]:
    yield from server.children("location")


class GatewayNginx(Nginx):
    """``deploy/nginx-gateway.conf`` in front of the app (``app_port``) and ``upstream``."""

    def __init__(self, app_port: int, upstream_port: int, *, port: int | None = None) -> None:
        super().__init__(
            app_port,
            config=GATEWAY_CONFIG,
            upstreams={"app": app_port, "protected": upstream_port},
            port=port,
        )

    def render(self) -> str:
        variant = variant_of(
            parse(self.source.read_text()),
            root=self.root,
            port=self.port,
            upstream_port=self.upstream_port,
            timeouts=self.timeouts,
            worker_processes=self.worker_processes,
            upstreams=self.upstreams,
        )
        http = next(d for d in variant if d.name == "http")
        for directive in http.block or []:
            if directive.name == "upstream" and directive.args == ["app"]:
                directive.block = [
                    d for d in directive.block or [] if not d.name.startswith("keepalive")
                ]
            if directive.name == "server":
                for location in _locations(directive):
                    if location.args in (["/"], ["@sign_in"]):
                        location.block = [
                            *(location.block or []),
                            Directive(
                                "auth_request_set",
                                ["$verified_by", "$upstream_http_x_test_process"],
                            ),
                            Directive("add_header", ["X-Verified-By", "$verified_by", "always"]),
                        ]
        return render(variant)
