"""The throttles of signing in, each named and sized from the settings."""

from __future__ import annotations

from app.auth.sign_in import Throttles
from app.config import Settings
from app.shared.throttle import Counter, Throttle

__all__ = ["CODE_TRIES", "STRENGTH_LIMIT", "sign_in_throttles"]

STRENGTH_LIMIT = 60  # live strength hints per client address per minute
CODE_TRIES = 5  # second-step codes per pending sign-in


def sign_in_throttles(settings: Settings, counter: Counter) -> Throttles:
    failures = {"limit": settings.login_max_failures, "window": settings.login_window}
    return Throttles(
        client=Throttle(
            counter, name="client", limit=settings.ip_max_attempts, window=settings.ip_window
        ),
        account_client=Throttle(counter, name="account-client", **failures),
        account=Throttle(
            counter,
            name="account",
            limit=settings.account_max_failures,
            window=settings.login_window,
        ),
        device=Throttle(counter, name="device", **failures),
        code_tries=Throttle(
            counter, name="code-tries", limit=CODE_TRIES, window=settings.mfa_challenge_ttl
        ),
        code_account=Throttle(counter, name="code-account", **failures),
    )
