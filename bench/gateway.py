"""The ``gateway`` section: what forward auth costs in front of an app, against what the
customer runs today (``auth_basic``) and against no auth at all.

One nginx (one worker) with three servers on three ports, all in front of the same
upstream - the bare Litestar page (:mod:`bench.bare`) standing for the operator's app:

- ``proxy``: nginx -> upstream, no auth (the reference);
- ``forward``: nginx + ``auth_request`` to this app's ``/auth/verify`` (a tier-1 token),
  with the directives of ``deploy/nginx-gateway.conf``'s ``location /``;
- ``basic``: nginx + ``auth_basic`` (an htpasswd entry as ``htpasswd`` writes it by
  default: apr1, MD5).

Measured interleaved with ``wrk`` (:mod:`bench.throughput`). nginx, the app and the
upstream share the server core; wrk has the other. Goal (issue 20): ``forward`` at
>= 0.80x ``proxy``'s throughput and p99 <= 2x ``proxy``'s.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from app.config import Settings
from app.security.cookies import AppCookies
from bench.page import EMAIL
from bench.plan import Plan
from bench.servers import APP_CPUS, HOST, Server, free_port, pinned, start_all
from bench.sessions_db import Minter, migrated, sqlite_url
from bench.throughput import Variant, interleave, summarize

__all__ = ["measure_gateway", "nginx_config"]

BASIC_USER, BASIC_PASSWORD = "bench", "bench-password"
GOAL_RATIO, GOAL_P99 = 0.80, 2.0


def nginx_config(root: Path, *, app: int, upstream: int, ports: dict[str, int]) -> str:
    """nginx.conf for the three servers; ``root`` holds its pid, logs, temp files and
    the htpasswd file."""
    common = """
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Auth-User-Id $auth_user_id;
        proxy_set_header X-Auth-Email $auth_email;
        set $auth_user_id "";
        set $auth_email "";
        set $auth_cookie "";
        location = /_gateway/verify {
            internal;
            proxy_pass http://app/auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
        }
    """
    forward = """
            auth_request /_gateway/verify;
            auth_request_set $auth_user_id $upstream_http_x_auth_user_id;
            auth_request_set $auth_email $upstream_http_x_auth_email;
            auth_request_set $auth_cookie $upstream_http_set_cookie;
            add_header Set-Cookie $auth_cookie always;
    """
    basic = f"""
            auth_basic "bench";
            auth_basic_user_file {root / "htpasswd"};
    """
    servers = "".join(
        f"""
    server {{
        listen {HOST}:{ports[name]};
        {common}
        location / {{
            {extra}
            proxy_pass http://upstream;
        }}
    }}"""
        for name, extra in (("proxy", ""), ("forward", forward), ("basic", basic))
    )
    temp = "\n".join(
        f"    {kind}_temp_path {root / 'temp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""daemon off;
worker_processes 1;
pid {root / "nginx.pid"};
error_log {root / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}
    upstream app {{ server {HOST}:{app}; keepalive 32; }}
    upstream upstream {{ server {HOST}:{upstream}; keepalive 32; }}
{servers}
}}
"""


def _htpasswd(path: Path) -> None:
    hashed = subprocess.run(
        ["openssl", "passwd", "-apr1", BASIC_PASSWORD],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    path.write_text(f"{BASIC_USER}:{hashed}\n")


@contextlib.contextmanager
def _nginx(root: Path, config: str) -> Any:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "temp" / kind).mkdir(parents=True, exist_ok=True)
    (root / "nginx.conf").write_text(config)
    command = [
        nginx,
        "-p",
        str(root),
        "-c",
        str(root / "nginx.conf"),
        "-e",
        str(root / "error.log"),
    ]
    subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
    process = subprocess.Popen(
        pinned(command, APP_CPUS), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait(url: str, headers: dict[str, str], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            response = httpx.get(url, headers=headers, timeout=2)
            if response.status_code == 200:
                return
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
        time.sleep(0.1)
    raise RuntimeError(f"{url}: no answer within {timeout:.0f} s")


def measure_gateway(plan: Plan, work: Path, results: dict[str, Any]) -> None:
    from bench.served import say  # noqa: PLC0415  (served imports the whole app stack)

    say("gateway: nginx -> upstream; + auth_request (tier 1); + auth_basic (interleaved)")
    settings = Settings()
    root = work / "gateway"
    app_dir = root / "app"
    url = migrated(sqlite_url(app_dir))
    minter = Minter(url, app_dir, settings)
    user_id = minter.add_user(EMAIL)
    app = Server("gateway-app", "bench.subject:create", app_dir, cpus=APP_CPUS)
    upstream = Server("gateway-upstream", "bench.bare:create", root / "upstream", cpus=APP_CPUS)
    ports = {name: free_port() for name in ("proxy", "forward", "basic")}
    with contextlib.ExitStack() as stack:
        stack.callback(minter.close)
        for server in (app, upstream):
            stack.callback(server.stop)
        start_all([app, upstream])
        [tier1] = minter.tier1(user_id, EMAIL)
        cookie = f"{AppCookies.of(secure=settings.cookie_secure).auth.name}={tier1}"
        _htpasswd(root / "htpasswd")
        config = nginx_config(root, app=app.port, upstream=upstream.port, ports=ports)
        stack.enter_context(_nginx(root, config))
        basic = "Basic " + base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
        base = {name: f"http://{HOST}:{port}/dashboard" for name, port in ports.items()}
        _wait(base["proxy"], {})
        _wait(base["forward"], {"Cookie": cookie})
        _wait(base["basic"], {"Authorization": basic})
        variants = [
            Variant("proxy", "nginx -> upstream, no auth", base["proxy"], ""),
            Variant("forward", "nginx + auth_request, tier 1", base["forward"], cookie),
            Variant("basic", "nginx + auth_basic (apr1)", base["basic"], "", authorization=basic),
        ]
        interleave(
            variants,
            rounds=plan.rounds,
            seconds=plan.seconds,
            warmup=plan.warmup,
            connections=plan.connections,
            say=say,
        )
    summaries = summarize(variants)
    by_key = {s.key: s for s in summaries}
    forward, proxy = by_key["forward"], by_key["proxy"]
    results["gateway"] = {
        "summaries": [asdict(s) for s in summaries],
        "goal": {
            "ratio": forward.ratio,
            "ratio_ok": forward.ratio >= GOAL_RATIO,
            "p99_factor": forward.p99_ms / proxy.p99_ms if proxy.p99_ms else None,
            "p99_ok": bool(proxy.p99_ms) and forward.p99_ms <= GOAL_P99 * proxy.p99_ms,
        },
    }
    for s in summaries:
        say(f"  {s.label:<32} {s.rps:8.0f} req/s  x{s.ratio:.2f}  p99 {s.p99_ms:.1f} ms")
