"""The stacks from the bench's side (its own venv, with the app): the context file, the
set-up (tables and the one user, by each framework's own means), the servers, and the
sign-in through each stack's own login form.

- Django + django-allauth: ``GET /accounts/login/`` (the form and its CSRF cookie), then
  ``POST`` it with ``login``, ``password`` and ``csrfmiddlewaretoken``: a ``302`` with
  the ``sessionid`` cookie. The browser's cookie is then ``csrftoken`` and ``sessionid``.
- FastAPI + fastapi-users: ``POST /auth/jwt/login`` (or ``/auth/db/login``), the OAuth2
  password form (``username``, ``password``): a ``204`` with the ``fastapiusersauth``
  cookie (a JWT, or a random token kept in the ``accesstoken`` table).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

from app.config import Settings
from bench.bare import CSRF_LENGTH
from bench.page import ROOT, TIER1, demo_claims, stub_routes
from bench.servers import Server
from bench.stacks.page import CONTEXT_FILE

__all__ = ["PYTHON", "STACKS", "Stack", "prepare", "queries", "write_context"]

PYTHON = ROOT / "var" / "bench-venv" / "bin" / "python"
_PASSWORD = secrets.token_urlsafe(24)  # this run's, for a user on a throwaway file


def write_context(directory: Path, settings: Settings, email: str, now: int) -> None:
    """``page.json``: what :class:`bench.stacks.page.Dashboard` renders with, taken from
    the same sources as the bare page's context (:mod:`bench.page`)."""
    claims = dataclasses.asdict(demo_claims(1, email, now))
    routes = {handler.name: sorted(handler.paths)[0] for handler in stub_routes(have=())}
    routes["static"] = "/static"
    context = {
        "claims": claims,
        "tier": TIER1,
        "session_max_age": int(settings.session_max_age),
        "routes": routes,
        "csrf_length": CSRF_LENGTH,
    }
    (directory / CONTEXT_FILE).write_text(json.dumps(context))


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        found.update({name: morsel.value for name, morsel in parsed.items()})
    return found


def _django_sign_in(url: str, email: str) -> str:
    with httpx.Client(base_url=url) as client:
        form = client.get("/accounts/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        csrf = _set_cookies(form).get("csrftoken")
        if form.status_code != 200 or match is None or csrf is None:
            raise RuntimeError(f"{url}/accounts/login/: no form with a CSRF token")
        answer = client.post(
            "/accounts/login/",
            data={"login": email, "password": _PASSWORD, "csrfmiddlewaretoken": match[1]},
            headers={"Cookie": f"csrftoken={csrf}", "Referer": url + "/accounts/login/"},
        )
        cookies = _set_cookies(answer)
        if answer.status_code != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"{url}: allauth's login answered {answer.status_code}")
        return f"csrftoken={cookies.get('csrftoken', csrf)}; sessionid={cookies['sessionid']}"


def _fastapi_sign_in(path: str) -> Callable[[str, str], str]:
    def sign_in(url: str, email: str) -> str:
        answer = httpx.post(url + path, data={"username": email, "password": _PASSWORD})
        cookies = _set_cookies(answer)
        if answer.status_code != 204 or "fastapiusersauth" not in cookies:
            raise RuntimeError(f"{url}{path}: answered {answer.status_code}")
        return f"fastapiusersauth={cookies['fastapiusersauth']}"

    return sign_in


@dataclass(frozen=True, slots=True)
class Stack:
    key: str
    label: str
    factory: str
    setup: str  # the module that makes the tables and the user
    sign_in: Callable[[str, str], str]  # (server URL, email) -> the browser's Cookie header
    statements: str  # its key in the set-up's JSON of SQL statements per signed-in request
    env: tuple[tuple[str, str], ...] = ()


STACKS = (
    Stack(
        "django",
        "Django + django-allauth (db session)",
        "bench.stacks.django_allauth.asgi:create",
        "bench.stacks.django_allauth.setup",
        _django_sign_in,
        "session",
        (("DJANGO_SETTINGS_MODULE", "bench.stacks.django_allauth.settings"),),
    ),
    Stack(
        "fastapi-jwt",
        "FastAPI + fastapi-users, JWT cookie",
        "bench.stacks.fastapi_users.app:create_jwt",
        "bench.stacks.fastapi_users.setup",
        _fastapi_sign_in("/auth/jwt/login"),
        "jwt",
    ),
    Stack(
        "fastapi-db",
        "FastAPI + fastapi-users, database strategy",
        "bench.stacks.fastapi_users.app:create_db",
        "bench.stacks.fastapi_users.setup",
        _fastapi_sign_in("/auth/db/login"),
        "db",
    ),
)


def prepare(stacks: list[Stack], work: Path, email: str, now: int) -> list[Server]:
    """Each stack's data directory ``work/<key>`` (context file, tables, user; the set-ups
    run at once) and its server, not started. The SQL of one signed-in request is left in
    ``queries.json`` beside it."""
    if not PYTHON.exists():
        raise RuntimeError(f"{PYTHON} is missing: `make bench` creates it")
    running = []
    for stack in stacks:
        directory = work / stack.key
        directory.mkdir(parents=True, exist_ok=True)
        write_context(directory, Settings(), email, now)
        env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
        env.update({"APP_DATA_DIR": str(directory), "BENCH_PASSWORD": _PASSWORD})
        env.update(stack.env)
        with (directory / "queries.json").open("w") as out:
            running.append(
                subprocess.Popen(
                    [str(PYTHON), "-m", stack.setup, email],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
    for stack, process in zip(stacks, running, strict=True):
        _, errors = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{stack.setup} failed:\n{errors[-2000:]}")
    return [
        Server(stack.key, stack.factory, work / stack.key, dict(stack.env), python=str(PYTHON))
        for stack in stacks
    ]


def queries(stack: Stack, directory: Path) -> list[str]:
    """The SQL statements one signed-in request runs to find its user (from the set-up)."""
    result: list[str] = json.loads((directory / "queries.json").read_text())[stack.statements]
    return result
