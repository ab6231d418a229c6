"""Issue 13, WCAG 1.4.10 reflow: on a 320 px wide screen, on a phone (390x844) and at 200 %
zoom (a 1280x800 window is then 640x400 CSS pixels), no page scrolls sideways, and on
every signed-in page "Sign out" is visible and can be pressed (nothing lies on top of it).
"""

from __future__ import annotations

from audit import Size, overflow
from harness import Credentials
from pages import DashboardPage, LoginPage, RegisterPage, SessionsPage, SiteHeader
from playwright.sync_api import Page, expect
from pytest_playwright import CreateContextCallback

SIZES = [Size("narrow", 320, 640), Size("phone", 390, 844), Size("zoom-200", 640, 400)]
PUBLIC_PAGES = ["/login", "/register", "/forgot-password", "/logout", "/no-such-page"]
SIGNED_IN_PAGES = ["/dashboard", "/sessions", "/account/password", "/account/email"]
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def _fits(page: Page, where: str) -> list[str]:
    """Whether the page as it is now reflows at every size (no reload: the layout follows
    the window)."""
    problems = []
    for size in SIZES:
        page.set_viewport_size(size.viewport)
        if (wider := overflow(page)) > 0:
            problems.append(f"{where} at {size}: {wider} px wider than the window")
    return problems


def _sign_out_can_be_pressed(page: Page, where: str) -> None:
    sign_out = SiteHeader(page).sign_out
    for size in SIZES:
        page.set_viewport_size(size.viewport)
        expect(sign_out, f"{where} at {size}").to_be_visible()
        expect(sign_out, f"{where} at {size}").to_be_in_viewport()
        sign_out.click(trial=True)  # visible, stable, enabled and not covered by anything


def test_no_page_scrolls_sideways_and_sign_out_can_be_pressed(
    page: Page, new_context: CreateContextCallback, credentials: Credentials
) -> None:
    problems: list[str] = []
    for path in PUBLIC_PAGES:
        page.goto(path)
        problems += _fits(page, path)

    register = RegisterPage(page).open()
    register.email.fill("not an email")
    register.submit.click()
    expect(register.summary.box).to_be_focused()
    problems += _fits(page, "/register with errors")

    register.register(credentials).wait_until_loaded()
    phone = new_context(user_agent=SAFARI_ON_IPHONE)  # a second device on the sessions page
    LoginPage(phone.new_page()).open().log_in(credentials).wait_until_loaded()
    for path in SIGNED_IN_PAGES:
        page.goto(path)
        problems += _fits(page, path)
        _sign_out_can_be_pressed(page, path)
    DashboardPage(page).open().open_how_this_works()
    problems += _fits(page, "/dashboard with 'How this works' open")
    expect(SessionsPage(page).open().rows).to_have_count(2)
    problems += _fits(page, "/sessions with two devices")
    phone.close()

    assert not problems, "\n".join(problems)
    page.set_viewport_size(SIZES[0].viewport)  # 320 px wide: sign out for real
    SiteHeader(page).sign_out.click()
    expect(LoginPage(page).notice).to_contain_text("You are signed out.")
    expect(SiteHeader(page).register).to_be_visible()
