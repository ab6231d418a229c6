"""``python -m app`` as an operator starts it: the development switches beyond loopback, the
access log (tokens redacted, in every worker) and a bad setting at start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.live import REPO_ROOT
from tests.support.servers import end_process, free_port

STARTUP_TIMEOUT = 30.0


def _env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    return env | {"APP_DATA_DIR": str(data_dir), **settings}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextmanager
def _serving(data_dir: Path, *args: str, **settings: str) -> Iterator[tuple[str, Path]]:
    """``python -m app serve ARGS`` until it answers /healthz on 127.0.0.1: its base URL
    and its log (stdout and stderr)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _env(data_dir, APP_BASE_URL=base_url, **settings)
    log = data_dir / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield base_url, log
        finally:
            end_process(process, timeout=15)


# --- development switches -----------------------------------------------------------------


@pytest.mark.parametrize("switch", ["APP_DEV_MAILBOX", "APP_TEST_CLOCK"])
def test_a_development_switch_beyond_loopback_refuses_to_start(tmp_path: Path, switch: str) -> None:
    done = _run(
        _env(tmp_path, **{switch: "true"}),
        *("serve", "--host", "0.0.0.0", "--port", str(free_port())),  # noqa: S104
    )

    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert switch in line
    assert "APP_ALLOW_DEV_ON_PUBLIC=true" in line
    assert not (tmp_path / "app.db").exists()  # refused before anything was done


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One deployment for the tests below: beyond loopback with both development switches
    allowed, two workers, the access log on. Its base URL (reached over 127.0.0.1) and log."""
    with _serving(
        tmp_path_factory.mktemp("public"),
        *("--host", "0.0.0.0", "--workers", "2", "--access-log"),  # noqa: S104
        APP_ALLOW_DEV_ON_PUBLIC="true",
        APP_DEV_MAILBOX="true",
        APP_TEST_CLOCK="true",
    ) as serving:
        yield serving


def test_allowed_development_switches_beyond_loopback_start_with_one_warning(
    public: tuple[str, Path],
) -> None:
    base_url, log = public
    assert httpx.get(f"{base_url}/_dev/mail").status_code == 200  # on, as it was told
    lines = log.read_text().splitlines()
    warnings = [line for line in lines if "level='warning'" in line]
    assert len(warnings) == 1, lines  # once, not once per worker
    assert "APP_DEV_MAILBOX" in warnings[0]
    assert "APP_TEST_CLOCK" in warnings[0]


# --- the access log -----------------------------------------------------------------------


def _wait_for_lines(log: Path, marks: list[str], timeout: float = 10.0) -> list[str]:
    """The log's lines once every mark is in one of them (uvicorn writes a request's line
    after its response, so a bounded real wait)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines()
        if all(any(mark in line for line in lines) for mark in marks):
            return lines
        assert time.monotonic() < deadline, (marks, lines)
        time.sleep(0.05)


def test_the_access_log_has_one_line_per_request_and_no_token(public: tuple[str, Path]) -> None:
    secrets = ["Reset-Secret-8f3a", "Check-Secret-41bc"]
    targets = [
        f"/reset-password?token={secrets[0]}",
        f"/verify-email?next=%2F&token={secrets[1]}",
        *(f"/login?probe={n}" for n in range(4)),
    ]
    base_url, log = public
    with httpx.Client(
        base_url=base_url, limits=httpx.Limits(max_keepalive_connections=0), timeout=10
    ) as person:  # a new connection each time: the requests spread over the workers
        for target in targets:
            person.get(target)
    marks = [
        "path='/reset-password?token=[redacted]'",
        "path='/verify-email?next=%2F&token=[redacted]'",
        *(f"path='/login?probe={n}'" for n in range(4)),
    ]
    lines = _wait_for_lines(log, marks)

    text = "\n".join(lines)
    assert not any(secret in text for secret in secrets)
    for mark in marks:
        found = [line for line in lines if mark in line]
        assert len(found) == 1, (mark, lines)  # one line per request
        assert "event='request'" in found[0]
        assert "method='GET'" in found[0]
        assert re.search(r"status=\d{3}\b", found[0])
    workers = set(re.findall(r"event='ready' process=(\d+)", text))
    served_by = set(re.findall(r"event='request' process=(\d+)", text))
    assert served_by, text
    assert served_by <= workers  # the lines come from the worker processes


# --- a bad setting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [("serve",), ("purge",), ("db", "check"), ("keys", "rotate")],
    ids=" ".join,
)
def test_a_bad_setting_stops_start_up_with_one_line_each(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    env = _env(tmp_path, APP_DB_POOL_SIZE="0", APP_ACCESS_TTL="1w", APP_COOKIE_SECURE="maybe")

    done = _run(env, *command)

    assert done.returncode != 0
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert sorted(done.stderr.strip().splitlines()) == [  # in the settings' own order
        "APP_ACCESS_TTL: '1w' is not a duration: use seconds (3600) or a number with s, m, h "
        "or d (15m, 7d)",
        "APP_COOKIE_SECURE: 'maybe' is not true or false (also 1/0, yes/no, on/off)",
        "APP_DB_POOL_SIZE: '0' is not a whole number from 1 to 1000",
    ]
    assert list(tmp_path.iterdir()) == []  # nothing was done: no database, no keys


def test_settings_that_contradict_each_other_stop_start_up_with_one_line(
    tmp_path: Path,
) -> None:
    done = _run(_env(tmp_path, APP_ACCESS_TTL="2d"), "serve")

    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "APP_ACCESS_TTL <= APP_TOKEN_TTL" in line
