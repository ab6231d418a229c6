"""Critique point 6: a page that fires several requests at once with a lapsed token.

The dashboard's "Check again" button (under "How this works") makes each of its three
panels reload with its own htmx request, all at the same moment, all carrying the same
expired token. The first rotates the session; the others must be moved onto its
successor, not taken for a stolen token.
"""

from __future__ import annotations

from datetime import timedelta

from harness import AUTH_COOKIE, Credentials, ServerClock, auth_cookie
from pages import RegisterPage
from playwright.sync_api import APIResponse, BrowserContext, Page, Response, Route, expect

PANELS = 3


def test_simultaneous_htmx_requests_after_the_token_lapsed_keep_the_user_signed_in(
    page: Page,
    context: BrowserContext,
    credentials: Credentials,
    server_clock: ServerClock,
    base_url: str,
) -> None:
    dashboard = RegisterPage(page).open().register(credentials).wait_until_loaded()
    dashboard.open_how_this_works()
    lapsed = auth_cookie(context)
    assert lapsed is not None

    # Hold the three until all are out, then send them together, each with the headers the
    # browser gave it: the lapsed cookie. Chromium attaches cookies only when a held request
    # is let go (``continue_()``), so a request let go after the first answer had come back
    # would carry the successor (and be served from the token alone); ``route.fetch()``
    # sends the headers the request was held with. The three handlers run at once (each
    # in a greenlet of its own), so the three requests meet at the server every run; their
    # answers reach the page only once all three are in.
    held: list[Route] = []
    answers: list[APIResponse] = []

    def send_together(route: Route) -> None:
        held.append(route)
        while len(held) < PANELS:
            page.wait_for_timeout(5)
        answer = route.fetch()
        answers.append(answer)
        while len(answers) < PANELS:
            page.wait_for_timeout(5)
        route.fulfill(response=answer)

    page.route(f"{base_url}/dashboard", send_together)
    responses: list[Response] = []

    def all_panels_answered(response: Response) -> bool:
        if response.url == f"{base_url}/dashboard":
            responses.append(response)
        return len(responses) == PANELS

    server_clock.advance(timedelta(hours=25))
    with page.expect_response(all_panels_answered):
        dashboard.refresh()
    page.unroute(f"{base_url}/dashboard")

    sent = [r.request.all_headers() for r in responses]
    assert all(h.get("hx-request") == "true" for h in sent)
    assert all(f"{AUTH_COOKIE}={lapsed['value']}" in h.get("cookie", "") for h in sent)
    assert [r.status for r in responses] == [200] * PANELS
    # What the server did: all three moved the session onto one successor (a request it
    # had served from a fresh token would have set no cookie).
    successors = {_auth_cookie_set(answer) for answer in answers}
    assert len(successors) == 1, successors
    assert None not in successors
    assert lapsed["value"] not in successors
    expect(dashboard.tier).to_contain_text("rotating")
    renewed = auth_cookie(context)
    assert renewed is not None
    assert renewed["value"] != lapsed["value"]

    server_clock.advance(timedelta(minutes=2))  # past the rotation grace: no more leniency
    page.reload()

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(credentials.email)
    expect(dashboard.tier).to_contain_text("token alone")


def _auth_cookie_set(answer: APIResponse) -> str | None:
    """The auth cookie's value an answer set, or None."""
    for header in answer.headers_array:
        name, _, value = header["value"].partition(";")[0].partition("=")
        if header["name"].lower() == "set-cookie" and name.strip() == AUTH_COOKIE:
            return value
    return None
