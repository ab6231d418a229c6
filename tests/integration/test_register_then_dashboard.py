"""The first visit end to end: registering (the address trimmed and lower-cased) sets the
auth cookie and sends the new user to a dashboard that names them."""

from __future__ import annotations

from tests.support.browser import Browser, auth_set_cookie


def test_register_then_dashboard_shows_the_user(visitor: Browser) -> None:
    response = visitor.register(" Alice@Example.COM ")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    cookie = auth_set_cookie(response)
    assert cookie is not None
    page = visitor.client.get("/dashboard")
    assert page.status_code == 200, page.text
    assert "alice@example.com" in page.text
