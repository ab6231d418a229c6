"""Two workers, one deployment: every promise of the product holds whichever process
answers. Each request goes over a new connection, and ``X-Test-Process`` (test clock
only) says which worker answered, so "every worker" is checked, not assumed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.browser import csrf_token
from tests.support.deployments import (
    PROPAGATION,
    WORKERS,
    Deployment,
    refused_everywhere_after,
    served_by_every_worker,
)
from tests.support.remote import RemoteBrowser, process_of

DAY = 86400
GRACE = 30
SESSION_ROW = re.compile(r'<li class="session( current)?" data-session="([^"]+)"')


def _end_by_logout(device: RemoteBrowser, _: RemoteBrowser, __: str) -> None:
    assert device.logout().status_code == 303


def _end_by_revoke(device: RemoteBrowser, other: RemoteBrowser, email: str) -> None:
    assert other.login(email).status_code == 303
    page = other.get("/sessions")
    [target] = [sid for current, sid in SESSION_ROW.findall(page.text) if not current]
    response = other.request(
        "POST", f"/sessions/{target}/revoke", data={"_csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 303, response.text


def _end_by_password_change(device: RemoteBrowser, other: RemoteBrowser, email: str) -> None:
    assert other.login(email).status_code == 303
    response = other.post_form(
        "/account/password",
        {
            "current_password": "correct horse battery staple",
            "new_password": "an entirely new passphrase 9",
        },
    )
    assert response.status_code == 303, response.text


ENDINGS: dict[str, Callable[[RemoteBrowser, RemoteBrowser, str], None]] = {
    "logout": _end_by_logout,
    "revoked from another device": _end_by_revoke,
    "password changed on another device": _end_by_password_change,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_an_ended_session_is_refused_by_every_worker_within_a_second(
    deployment: Deployment, ending: str
) -> None:
    email = deployment.new_email()
    device = RemoteBrowser(deployment.server.base_url)
    device.register(email)
    copied = device.token
    assert copied
    served_by_every_worker(copied, device)

    ENDINGS[ending](device, RemoteBrowser(deployment.server.base_url), email)
    lag = refused_everywhere_after(copied, device, time.monotonic())
    assert lag < PROPAGATION, f"still served {lag:.3f} s after the session ended"


def test_twelve_parallel_refreshes_of_one_expired_cookie_end_on_one_successor(
    deployment: Deployment,
) -> None:
    email = deployment.new_email()
    person = RemoteBrowser(deployment.server.base_url)
    person.register(email)
    token = person.token
    assert token
    deployment.clock.advance(DAY + 1)  # past the token's lifetime: tier 3 on every request

    start = threading.Barrier(12)

    def refresh(_: int) -> httpx.Response:
        tab = person.with_token(token)
        start.wait()
        return tab.dashboard()

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(refresh, range(12)))

    assert [r.status_code for r in responses] == [200] * 12
    successors = {r.cookies.get("auth") for r in responses}
    assert len(successors) == 1, successors  # one cookie value for all twelve
    assert None not in successors
    rotations = deployment.db.rows(
        "SELECT count(*) FROM auth_events e JOIN users u ON u.id = e.user_id "
        "WHERE u.email = ? AND e.kind = 'rotated'",
        email,
    )
    assert rotations == [(1,)]
    [successor] = successors
    assert successor is not None
    served_by_every_worker(successor, person)


def test_reuse_after_the_grace_is_caught_whichever_worker_sees_it(
    deployment: Deployment,
) -> None:
    email = deployment.new_email()
    legit = RemoteBrowser(deployment.server.base_url)
    legit.register(email)
    stolen = legit.token
    assert stolen
    deployment.clock.advance(DAY)
    assert legit.dashboard().status_code == 200  # rotated: the browser got the successor
    fresh = legit.token
    assert fresh
    assert fresh != stolen
    deployment.clock.advance(GRACE + 1)

    since = time.monotonic()
    replay = legit.with_token(stolen).dashboard()
    assert replay.status_code == 303  # a copy: the whole session ends
    lag = refused_everywhere_after(fresh, legit, since)  # the rightful holder's token too
    assert lag < PROPAGATION
    kinds = deployment.db.rows(
        "SELECT e.kind FROM auth_events e JOIN users u ON u.id = e.user_id WHERE u.email = ?",
        email,
    )
    assert ("reuse_detected",) in kinds


def test_failed_sign_ins_are_counted_once_across_workers(deployment: Deployment) -> None:
    email = deployment.new_email()
    RemoteBrowser(deployment.server.base_url).register(email)
    statuses, processes = [], set()
    for _ in range(15):
        response = RemoteBrowser(deployment.server.base_url).login(email, "a wrong password!!")
        statuses.append(response.status_code)
        processes.add(process_of(response))
    assert statuses == [401] * 10 + [429] * 5
    assert len(processes) == WORKERS


def test_the_deployment_has_one_clock(deployment: Deployment) -> None:
    moved = deployment.clock.advance(3600)
    seen: dict[str, set[str]] = {}
    for _ in range(40):
        response = RemoteBrowser(deployment.server.base_url).get("/_test/clock")
        seen.setdefault(process_of(response), set()).add(response.json()["now"])
    assert len(seen) == WORKERS
    expected = moved.isoformat().replace("+00:00", "Z")
    assert all(times == {expected} for times in seen.values()), seen
