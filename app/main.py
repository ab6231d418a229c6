"""The application factory. ``app.main:app`` is built on first access, not at import."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.clock import Clock, SystemClock, TestClock
from app.config import Settings, load_settings
from app.core import Core
from app.logging import configure_logging
from app.web import templating
from app.web.clock_sync import ClockSyncMiddleware
from app.web.csrf import SafeCSRFMiddleware
from app.web.deps import dependencies
from app.web.errors import exception_handlers
from app.web.gate import RequestGate
from app.web.guard import GUARDED, NO_AUTH, AuthCookies, AuthGuardMiddleware
from app.web.headers import SecurityHeaders
from app.web.origin import SameOriginMiddleware
from app.web.reauth import ReauthRequiredError, reauth_required_handler, require_fresh_proof
from app.web.routes import (
    account,
    addresses,
    api,
    clock_control,
    dev_mail,
    example,
    gateway,
    not_me,
    pages,
    passkeys,
    password,
    reauth,
    recovery,
    security,
    sessions,
    sign_in,
    strength,
    two_factor,
)
from app.wiring import build_core

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    """The app. A ``clock`` passed in is the test's own (it alone moves it); with
    ``APP_TEST_CLOCK`` and none passed, the whole deployment shares one test clock."""
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    deployment_clock = settings.test_clock and clock is None
    if clock is None:
        clock = TestClock() if settings.test_clock else SystemClock()
    if settings.test_clock and not isinstance(clock, TestClock):
        raise ValueError("APP_TEST_CLOCK needs a TestClock")
    core = build_core(settings, clock, deployment_clock=deployment_clock)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with core.running():
            yield

    app = Litestar(
        route_handlers=_routes(core),
        dependencies=dependencies(core),
        middleware=_middleware(core),
        before_send=[SecurityHeaders(settings), AuthCookies(core.app_cookies)],
        template_config=TemplateConfig(
            directory=ROOT / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: templating.configure(engine, settings),
        ),
        plugins=[HTMXPlugin()],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.max_body,
        lifespan=[lifespan],
        signature_namespace={"Clock": Clock, "TestClock": TestClock, "Settings": Settings},
        logging_config=None,  # structlog, configured above, writes the logs
        # No public schema by default: the app's interface is its pages (README).
        openapi_config=OpenAPIConfig(title="Sessions + JWT", version="1")
        if settings.openapi
        else None,
        debug=False,
    )
    # Outermost, before routing: refused even where no route matches.
    app.asgi_handler = RequestGate(app.asgi_handler, settings.resolved_allowed_hosts)
    app.state.settings = settings
    app.state.clock = clock
    app.state.core = core
    app.state.engine = core.db.engine
    return app


def _routes(core: Core) -> list[Any]:
    guarded = Router(
        path="/",
        opt=GUARDED,  # the one switch: every route here serves signed-in users only
        guards=[require_fresh_proof],  # and those marked fresh_proof() a recent proof
        exception_handlers={ReauthRequiredError: reauth_required_handler},
        route_handlers=[
            pages.dashboard,
            sessions.sessions_page,
            sessions.revoke_session,
            sessions.revoke_others,
            password.password_page,
            password.change_password,
            addresses.email_page,
            addresses.email_submit,
            addresses.resend_check,
            security.security_page,
            security.totp_page,
            security.enable_totp,
            security.disable_totp,
            security.recovery_codes_page,
            security.regenerate_codes,
            reauth.reauth_page,
            reauth.reauth_submit,
            passkeys.passkeys_page,
            passkeys.passkey_options,
            passkeys.add_passkey,
            passkeys.delete_passkey,
            passkeys.reauth_options,
            passkeys.reauth_with_passkey,
            example.example_page,
            example.example_submit,
            # JSON under /api/: not signed in is 401 {"error": "not_signed_in"} (the guard)
            api.me,
            example.example_api,
            example.example_api_submit,
            account.delete_page,
            account.delete_account,
            account.export_account,
        ],
    )
    routes: list[Any] = [
        pages.index,
        pages.healthz,
        pages.readyz,
        sign_in.register_page,
        sign_in.register,
        sign_in.login_page,
        sign_in.login,
        sign_in.logout,
        two_factor.two_factor_page,
        two_factor.two_factor_submit,
        passkeys.sign_in_options,
        passkeys.sign_in_with_passkey,
        strength.password_strength,
        recovery.forgot_page,
        recovery.forgot_submit,
        recovery.reset_page,
        recovery.reset_submit,
        addresses.verify_page,
        addresses.verify_submit,
        addresses.confirm_page,
        addresses.confirm_submit,
        gateway.verify,
        not_me.not_me_page,
        not_me.not_me_submit,
        guarded,
        create_static_files_router(
            path="/static", directories=[ROOT / "static"], name="static", opt=NO_AUTH
        ),
    ]
    if core.clock_control is not None:
        routes += [clock_control.read_clock, clock_control.move_clock]
    if core.settings.dev_mailbox:
        routes.append(dev_mail.dev_mailbox)
    return routes


def _middleware(core: Core) -> list[Any]:
    settings = core.settings
    csrf = CSRFConfig(
        secret=core.csrf_secret,
        cookie_name=core.app_cookies.csrf.name,
        cookie_secure=core.app_cookies.csrf.secure,
        cookie_httponly=core.app_cookies.csrf.http_only,
        cookie_samesite="lax",
        header_name="x-csrftoken",
    )
    middleware: list[Any] = [
        SameOriginMiddleware(settings.base_origin),
        AuthGuardMiddleware(core.authenticator, core.app_cookies),
        DefineMiddleware(SafeCSRFMiddleware, config=csrf, cookie=core.app_cookies.csrf),
    ]
    if core.shared_clock is not None:
        middleware.insert(0, ClockSyncMiddleware(core.shared_clock))
    return middleware


def __getattr__(name: str) -> Any:
    # ``uvicorn app.main:app`` and ``litestar --app app.main:app`` find the app here;
    # importing this module (tests do) builds nothing and reads no environment.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
