"""Every message the app sends (app/mail/messages.py): a text part with the whole link, an
HTML alternative, Message-ID and Date, links on the deployment's own origin."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from app.mail.messages import MailKind, Messages
from app.mail.transport import parse_smtp_url

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
MESSAGES = Messages(
    TEMPLATES, sender="no-reply@auth.example.com", base_url="https://auth.example.com"
)
T0 = 1_800_000_000


def _built(kind: str, **context: object) -> EmailMessage:
    composed = MESSAGES.compose(kind, **context)
    raw = MESSAGES.message("ann@example.com", composed, T0).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_reset_mail_has_both_parts_the_whole_link_and_its_headers() -> None:
    link = MESSAGES.link("/reset-password", "T0KEN")
    message = _built(MailKind.RESET, email="ann@example.com", link=link, minutes=60)
    assert link == "https://auth.example.com/reset-password?token=T0KEN"
    assert "reset" in str(message["Subject"])
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert link in str(text.get_content())
    assert f'href="{link}"' in str(html.get_content())
    assert str(message["Message-ID"]).endswith("@auth.example.com>")
    assert message["Date"] == "Fri, 15 Jan 2027 08:00:00 +0000"
    assert message["From"] == "no-reply@auth.example.com"


def test_the_html_part_escapes_what_it_shows() -> None:
    message = _built(
        MailKind.EMAIL_CHANGE_NOTICE,
        email="ann@example.com",
        new_email="<script>@example.com",
        url=MESSAGES.url("/sessions"),
    )
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<script>" not in str(html.get_content())
    assert "&lt;script&gt;" in str(html.get_content())


@pytest.mark.parametrize(
    ("url", "port", "tls", "starttls", "user"),
    [
        ("smtp://mail.example.com:2525", 2525, False, False, None),
        ("smtp+starttls://me:p%40ss@mail.example.com:587", 587, False, True, "me"),
        ("smtps://me:secret@mail.example.com", 465, True, False, "me"),
    ],
)
def test_smtp_urls(url: str, port: int, tls: bool, starttls: bool, user: str | None) -> None:
    target = parse_smtp_url(url)
    assert (target.host, target.port, target.use_tls, target.start_tls) == (
        "mail.example.com",
        port,
        tls,
        starttls,
    )
    assert target.username == user
    assert "secret" not in repr(target)
    assert "p@ss" not in repr(target)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com:25"])
def test_an_smtp_url_of_another_kind_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        parse_smtp_url(url)
