"""The production reverse proxy (``deploy/nginx.conf``), run for real in front of a live app.

:class:`Nginx` renders a test variant of that very file, directive for directive, with only
what a test cannot have changed:

- plain HTTP on a free port on 127.0.0.1 instead of the TLS server and the :80 redirect
  (the ``ssl_*`` directives go with them);
- the upstream is the given app port instead of 127.0.0.1:8000;
- the pid file, the logs and every temp path inside a temporary directory, ``daemon off``
  (a subprocess of the test), the error log at ``info`` so that a timed-out client shows;
- optionally shorter timeouts (``client_header_timeout``, ...), so a test runs fast.

As root, nginx's workers would switch to ``nobody``, who cannot write to the temporary
directory: there the variant says ``user root``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.live import REPO_ROOT
from tests.support.servers import end_process, free_port, wait_for_port

__all__ = ["DEPLOY_CONFIG", "Directive", "Nginx", "nginx_binary", "parse", "render"]

DEPLOY_CONFIG = REPO_ROOT / "deploy" / "nginx.conf"
STARTUP_TIMEOUT = 10.0
LOG_TAIL = 4000

# Main-context directives the variant sets itself (or, like `include`, must not have).
_MAIN_REPLACED = {
    "user",
    "pid",
    "error_log",
    "daemon",
    "include",
    "load_module",
    "worker_processes",
}
_HTTP_REPLACED = {"access_log", "error_log", "include"}
_TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")

_TOKEN = re.compile(r"""#[^\n]*|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{};]|[^\s{};"'#][^\s{};]*""")


@dataclass
class Directive:
    name: str
    args: list[str] = field(default_factory=list)
    block: list[Directive] | None = None

    def children(self, name: str) -> list[Directive]:
        return [child for child in self.block or [] if child.name == name]


def parse(text: str) -> list[Directive]:
    """nginx's syntax, as much of it as a hand-written config uses: words, quoted strings,
    ``;``, blocks, ``#`` comments (dropped)."""
    tokens = [token for token in _TOKEN.findall(text) if not token.startswith("#")]
    position = 0

    def statements(*, nested: bool) -> list[Directive]:
        nonlocal position
        found: list[Directive] = []
        words: list[str] = []
        while position < len(tokens):
            token = tokens[position]
            position += 1
            if token == ";":
                if not words:
                    raise ValueError("nginx config: an empty statement")
                found.append(Directive(words[0], words[1:]))
                words = []
            elif token == "{":
                if not words:
                    raise ValueError("nginx config: a block without a name")
                found.append(Directive(words[0], words[1:], statements(nested=True)))
                words = []
            elif token == "}":
                if not nested or words:
                    raise ValueError(f"nginx config: an unexpected '}}' after {words}")
                return found
            else:
                words.append(token)
        if nested or words:
            raise ValueError("nginx config: unexpected end of file")
        return found

    return statements(nested=False)


def render(directives: list[Directive], depth: int = 0) -> str:
    lines: list[str] = []
    indent = "    " * depth
    for directive in directives:
        head = " ".join([directive.name, *directive.args])
        if directive.block is None:
            lines.append(f"{indent}{head};\n")
        else:
            lines.append(f"{indent}{head} {{\n{render(directive.block, depth + 1)}{indent}}}\n")
    return "".join(lines)


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError(
            "nginx was not found: install Debian's nginx-light (or nginx), e.g. "
            "`apt-get install -y nginx-light`"
        )
    return found


def _only(directives: list[Directive], name: str, where: str) -> Directive:
    found = [directive for directive in directives if directive.name == name]
    if len(found) != 1:
        raise ValueError(f"{DEPLOY_CONFIG}: expected one `{name}` in {where}, found {len(found)}")
    return found[0]


def _proxies(server: Directive) -> bool:
    return any(location.children("proxy_pass") for location in server.children("location"))


def variant_of(
    deployed: list[Directive],
    *,
    root: Path,
    port: int,
    upstream_port: int,
    timeouts: Mapping[str, str],
    worker_processes: int,
    upstreams: Mapping[str, int] | None = None,
) -> list[Directive]:
    """``deployed`` (parsed ``deploy/nginx.conf``) as a test runs it; see the module doc."""
    main: list[Directive] = [
        Directive("daemon", ["off"]),
        Directive("worker_processes", [str(worker_processes)]),
        Directive("pid", [str(root / "nginx.pid")]),
        Directive("error_log", [str(root / "error.log"), "info"]),
    ]
    if os.geteuid() == 0:
        main.append(Directive("user", ["root"]))
    main += [directive for directive in deployed if directive.name not in _MAIN_REPLACED]

    http = _only(main, "http", "the main context")
    logs = http.children("access_log")
    log_format = logs[0].args[1:] if logs else []
    body = [directive for directive in http.block or [] if directive.name not in _HTTP_REPLACED]
    for name, value in timeouts.items():
        _only(body, name, "http").args = [value]

    if upstreams is None:  # deploy/nginx.conf: the app alone
        upstream = _only(body, "upstream", "http")
        _only(upstream.block or [], "server", "the upstream").args[0] = f"127.0.0.1:{upstream_port}"
    else:  # several upstreams (deploy/nginx-gateway.conf), each by its name
        for upstream in (d for d in body if d.name == "upstream"):
            port_of = upstreams[upstream.args[0]]
            _only(upstream.block or [], "server", "the upstream").args[0] = f"127.0.0.1:{port_of}"

    # The server that proxies to the app stays (its TLS settings go); the :80 redirect and
    # the TLS catch-all have nothing a plain-HTTP test could run.
    servers = [directive for directive in body if directive.name == "server"]
    app_servers = [server for server in servers if _proxies(server)]
    if len(app_servers) != 1:
        raise ValueError(f"{DEPLOY_CONFIG}: expected one server with a proxy_pass")
    app_server = app_servers[0]
    app_server.block = [Directive("listen", [f"127.0.0.1:{port}"])] + [
        directive
        for directive in app_server.block or []
        if directive.name != "listen" and not directive.name.startswith("ssl_")
    ]
    body = [d for d in body if d.name != "server" or d is app_server]

    body += [Directive("access_log", [str(root / "access.log"), *log_format])]
    body += [Directive(f"{kind}_temp_path", [str(root / "temp" / kind)]) for kind in _TEMP_PATHS]
    http.block = body
    return main


class Nginx:
    """``nginx -p <dir> -c <dir>/nginx.conf`` in front of the app on ``upstream_port``."""

    def __init__(
        self,
        upstream_port: int,
        *,
        timeouts: Mapping[str, str] | None = None,
        worker_processes: int = 1,
        config: Path = DEPLOY_CONFIG,
        upstreams: Mapping[str, int] | None = None,
        port: int | None = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.root = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.config_path = self.root / "nginx.conf"
        self.error_log = self.root / "error.log"
        self.timeouts = dict(timeouts or {})
        self.worker_processes = worker_processes
        self.source = config
        self.upstreams = upstreams  # upstream name -> port, for a config with several
        self._process: subprocess.Popen[bytes] | None = None

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
        return render(variant)

    def _command(self) -> list[str]:
        return [nginx_binary(), "-p", str(self.root), "-c", str(self.config_path)]

    def start(self) -> Nginx:
        for kind in _TEMP_PATHS:
            (self.root / "temp" / kind).mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.render())
        check = subprocess.run(
            [*self._command(), "-e", str(self.error_log), "-t", "-q"],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if check.returncode != 0:
            raise RuntimeError(
                f"nginx -t refused {self.config_path}:\n{check.stderr.decode(errors='replace')}"
            )
        self._process = subprocess.Popen(
            [*self._command(), "-e", str(self.error_log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"nginx exited with code {self._process.returncode}\n{self.log_tail()}"
                )
            try:
                wait_for_port(self.port, timeout=0.2)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"nginx did not listen on {self.port} within {STARTUP_TIMEOUT:.0f} s\n"
                        f"{self.log_tail()}"
                    ) from None
            else:
                return self

    def log_text(self) -> str:
        try:
            return self.error_log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self) -> str:
        return f"--- nginx error log ({self.error_log}) ---\n{self.log_text()[-LOG_TAIL:]}"

    def stop(self) -> None:
        """SIGTERM (nginx's fast shutdown), then SIGKILL if it lingers; the directory goes."""
        if self._process is not None:
            end_process(self._process)
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
