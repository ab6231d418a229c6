"""The access log's redaction (app/logging.py): a mailed link's token never reaches a log."""

from __future__ import annotations

import logging

import pytest

from app.logging import AccessFormatter, RedactTokens, redact_tokens


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        pytest.param(
            "/reset-password?token=abc", "/reset-password?token=[redacted]", id="the only one"
        ),
        pytest.param("/x?a=1&token=abc&b=2", "/x?a=1&token=[redacted]&b=2", id="among others"),
        pytest.param("/x?token=a&token=b", "/x?token=[redacted]&token=[redacted]", id="twice"),
        pytest.param("/x?TOKEN=a", "/x?TOKEN=[redacted]", id="in capitals"),
        pytest.param("/x?tok%65n=a", "/x?tok%65n=[redacted]", id="name percent-encoded"),
        pytest.param("/x?token", "/x?token=[redacted]", id="no equals sign"),
        pytest.param("/x?tokens=a&next=/token", "/x?tokens=a&next=/token", id="other names"),
        pytest.param("/verify-email", "/verify-email", id="no query"),
    ],
)
def test_every_token_value_is_redacted_and_nothing_else(target: str, logged: str) -> None:
    assert redact_tokens(target) == logged


def test_an_access_record_is_one_key_value_line_without_the_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:51000", "GET", "/reset-password?token=s3cret-value", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    line = AccessFormatter().format(record)

    assert "s3cret-value" not in line
    assert "s3cret-value" not in record.getMessage()  # whatever formats it afterwards
    assert "\n" not in line
    assert "event='request'" in line
    assert "path='/reset-password?token=[redacted]'" in line
    assert "status=200" in line
    assert "client='10.0.0.7:51000'" in line
