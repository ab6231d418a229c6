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
from playwright.sync_api import BrowserContext, Page, Response, Route, expect

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

    # The browser may send the three requests a few milliseconds apart, and one sent after
    # the first answer would carry the new cookie. Hold them until all three are out, then
    # let them go together: the race happens every run, not now and then.
    held: list[Route] = []

    def release_together(route: Route) -> None:
        held.append(route)
        if len(held) == PANELS:
            for each in held:
                each.continue_()

    page.route(f"{base_url}/dashboard", release_together)
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
    expect(dashboard.tier).to_contain_text("rotating")
    renewed = auth_cookie(context)
    assert renewed is not None
    assert renewed["value"] != lapsed["value"]

    server_clock.advance(timedelta(minutes=2))  # past the rotation grace: no more leniency
    page.reload()

    expect(page).to_have_url(f"{base_url}/dashboard")
    expect(dashboard.user_email).to_have_text(credentials.email)
    expect(dashboard.tier).to_contain_text("token alone")
