"""The operator's ``python -m app users ...`` (issue 21), run as a subprocess with the
deployment's own settings against a running deployment of two workers (SQLite and
PostgreSQL: one deployment per backend for the whole module), checked by what the
servers answer: the tokens of an account signed out, disabled or deleted are refused by
every worker within a second; a disabled account's right password gets 403, a wrong one
401; an unknown address is exit status 1 with one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.support.backends import BACKENDS, DEFAULT_BACKENDS, Servers
from tests.support.database import Database
from tests.support.deployments import (
    PROPAGATION,
    Deployment,
    backend_env,
    refused_everywhere_after,
    served_by_every_worker,
)
from tests.support.dumps import holding
from tests.support.links import settled
from tests.support.live import REPO_ROOT, LiveServer, ServerClock
from tests.support.remote import RemoteBrowser
from tests.support.smtp import MailCatcher, link_in


@pytest.fixture(scope="module")
def mail() -> Iterator[MailCatcher]:
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="module", params=DEFAULT_BACKENDS)
def deployment(
    request: pytest.FixtureRequest,
    servers: Servers,
    tmp_path_factory: pytest.TempPathFactory,
    mail: MailCatcher,
) -> Iterator[Deployment]:
    """Two workers that deliver mail (the CLI's own mail is delivered by the servers:
    a short poll, since its commits wake no server)."""
    backend = BACKENDS[request.param]
    data_dir = tmp_path_factory.mktemp(f"operator-{backend.name}")
    env = backend_env(backend, servers, data_dir)
    env |= {"APP_SMTP_URL": mail.url, "APP_OUTBOX_POLL": "0.1"}
    server = LiveServer(data_dir, workers=2, env=env)
    try:
        server.start()
    except RuntimeError as error:
        server.stop()
        pytest.fail(str(error), pytrace=False)
    env |= {
        "APP_TEST_CLOCK": "1",
        "APP_COOKIE_SECURE": "false",
        "APP_DATA_DIR": str(data_dir),
        "APP_BASE_URL": server.base_url,
    }
    clock = ServerClock(server.base_url)
    yield Deployment(backend, server, clock, Database(env["APP_DATABASE_URL"]), env)
    clock.close()
    server.stop()


def users(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m app users ...`` as the operator runs it, with the deployment's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")} | deployment.env
    return subprocess.run(
        [sys.executable, "-m", "app", "users", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _signed_up(deployment: Deployment) -> tuple[str, RemoteBrowser]:
    email = deployment.new_email()
    person = RemoteBrowser(deployment.server.base_url)
    person.register(email)
    return email, person


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, (result.stdout, result.stderr)
    return lines[0]


def test_show_names_the_account_and_an_unknown_address_is_status_1(
    deployment: Deployment,
) -> None:
    email, _ = _signed_up(deployment)
    shown = users(deployment, "show", email)
    assert shown.returncode == 0, shown.stderr
    line = _one_line(shown)
    (user_id,) = deployment.db.rows("SELECT id FROM users WHERE email = ?", email)[0]
    for part in (f"id {user_id}", email, "not verified", "password", "1 live session"):
        assert part in line
    assert "not disabled" in line
    assert deployment.db.rows(
        "SELECT kind FROM auth_events WHERE user_id = ? AND kind = 'operator_show'", user_id
    ) == [("operator_show",)]

    # Every command looks the address up the same way: each one once, the five shared
    # between the backends (a command costs a process start).
    sqlite = deployment.backend.database == "sqlite"
    for action in ("show", "sign-out", "enable") if sqlite else ("disable", "delete"):
        unknown = users(deployment, action, "nobody.here@example.com")
        assert unknown.returncode == 1, (action, unknown.stdout, unknown.stderr)
        assert "nobody.here@example.com" in _one_line(unknown)


def test_sign_out_ends_every_session_on_every_worker(deployment: Deployment) -> None:
    email, person = _signed_up(deployment)
    laptop = person.with_token(None)
    assert laptop.login(email).status_code == 303
    tokens = [person.token, laptop.token]
    assert all(tokens)
    served_by_every_worker(str(person.token), person)

    signed_out = users(deployment, "sign-out", email)
    since = time.monotonic()
    assert signed_out.returncode == 0, signed_out.stderr
    assert "2 session(s) ended" in _one_line(signed_out)
    for token in tokens:
        assert refused_everywhere_after(str(token), person, since) < PROPAGATION
    kinds = deployment.db.rows(
        "SELECT e.kind FROM auth_events e JOIN users u ON u.id = e.user_id "
        "WHERE u.email = ? AND e.kind = 'operator_sign_out'",
        email,
    )
    assert kinds == [("operator_sign_out",)]


def test_a_disabled_account_refuses_its_right_password_its_links_and_its_mail(
    deployment: Deployment, mail: MailCatcher
) -> None:
    email, person = _signed_up(deployment)
    [check] = mail.wait_for(email, where=lambda m: "confirm" in str(m["Subject"]).lower())
    token = str(person.token)

    disabled = users(deployment, "disable", email, "--reason", "support ticket 42")
    since = time.monotonic()
    assert disabled.returncode == 0, disabled.stderr
    assert "1 session(s) ended" in _one_line(disabled)
    assert refused_everywhere_after(token, person, since) < PROPAGATION
    stranger = RemoteBrowser(deployment.server.base_url)
    right = stranger.login(email)
    assert right.status_code == 403
    assert "This account is disabled" in right.text
    assert stranger.login(email, "a wrong password it is").status_code == 401
    link = link_in(check)
    assert stranger.get(link.removeprefix(deployment.server.base_url)).status_code == 400
    forgot = stranger.post_form("/forgot-password", {"email": email})
    assert forgot.status_code == 200
    notice = mail.wait_for(email, where=lambda m: "disabled" in str(m["Subject"]).lower())
    assert len(notice) == 1
    assert "support ticket 42" in notice[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    settled(deployment.db)
    assert not [m for m in mail.to(email) if "reset" in str(m["Subject"]).lower()]

    enabled = users(deployment, "enable", email)
    assert enabled.returncode == 0, enabled.stderr
    assert stranger.login(email).status_code == 303
    kinds = deployment.db.rows(
        "SELECT e.kind FROM auth_events e JOIN users u ON u.id = e.user_id "
        "WHERE u.email = ? AND e.kind LIKE 'operator_%' ORDER BY e.id",
        email,
    )
    assert kinds == [("operator_disable",), ("operator_enable",)]


def test_delete_ends_everything_and_mails_once(deployment: Deployment, mail: MailCatcher) -> None:
    email, person = _signed_up(deployment)
    token = str(person.token)

    deleted = users(deployment, "delete", email)
    since = time.monotonic()
    assert deleted.returncode == 0, deleted.stderr
    assert "deleted" in _one_line(deleted)
    assert refused_everywhere_after(token, person, since) < PROPAGATION
    gone = mail.wait_for(email, where=lambda m: "deleted" in str(m["Subject"]).lower())
    assert len(gone) == 1
    settled(deployment.db)
    assert holding(deployment.db, email) == []
    assert RemoteBrowser(deployment.server.base_url).login(email).status_code == 401
