"""The application factory. ``app.main:app`` is built on first access, not at import."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.auth.account import AccountService
from app.auth.maintenance import Purger
from app.auth.refresh import Policy
from app.auth.service import AuthService, Throttles
from app.auth.stores import Denylist, Successors, create_store
from app.auth.throttle import Throttle
from app.clock import Clock, SystemClock, TestClock
from app.config import Settings, load_settings
from app.db.engine import create_engine, create_tables, session_factory
from app.logging import configure_logging
from app.security.keys import load_or_create_keyset, load_or_create_secret, parse_keyset
from app.security.passwords import PasswordService
from app.security.tokens import TokenCodec
from app.web import templating
from app.web.csrf import SafeCSRFMiddleware
from app.web.deps import dependencies
from app.web.errors import exception_handlers
from app.web.guard import AuthCookies, AuthGuardMiddleware
from app.web.headers import SecurityHeaders
from app.web.origin import SameOriginMiddleware
from app.web.routes import account as account_routes
from app.web.routes import pages, password, sessions, strength, test_clock

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    if clock is None:
        clock = TestClock() if settings.test_clock else SystemClock()
    if settings.test_clock and not isinstance(clock, TestClock):
        raise ValueError("APP_TEST_CLOCK needs a TestClock")

    keys = (
        parse_keyset(settings.keys.get_secret_value())
        if settings.keys is not None
        else load_or_create_keyset(settings.resolved_keys_file, clock.now())
    )
    engine = create_engine(settings.resolved_database_url)
    store = create_store(settings.revocation_store)
    denylist = Denylist(store, ttl=settings.token_ttl)
    throttles = Throttles(
        account=Throttle(
            store, name="account", limit=settings.login_max_failures, window=settings.login_window
        ),
        client=Throttle(
            store, name="client", limit=settings.ip_max_attempts, window=settings.ip_window
        ),
    )
    passwords = PasswordService(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
        concurrency=settings.hash_concurrency,
    )
    service = AuthService(
        db=session_factory(engine),
        clock=clock,
        codec=TokenCodec(keys),
        passwords=passwords,
        policy=Policy(
            access_ttl=settings.access_ttl,
            token_ttl=settings.token_ttl,
            session_ttl=settings.session_ttl,
            session_max_age=settings.session_max_age,
            rotation_grace=settings.rotation_grace,
        ),
        denylist=denylist,
        successors=Successors(store, grace=settings.rotation_grace),
        throttles=throttles,
        token_cache_size=settings.token_cache_size,
    )

    account = AccountService(
        db=session_factory(engine),
        clock=clock,
        passwords=passwords,
        denylist=denylist,
        throttle=throttles.account,
    )
    purger = Purger(
        db=session_factory(engine),
        clock=clock,
        event_retention=settings.event_retention,
        store=store,
    )
    background: list[asyncio.Task[None]] = []

    async def _start(_: Litestar) -> None:
        await create_tables(engine)
        await service.restore_denylist()
        if settings.purge_interval:
            background.append(asyncio.create_task(purger.run_every(settings.purge_interval)))

    async def _stop(_: Litestar) -> None:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()

    csrf = CSRFConfig(
        secret=load_or_create_secret(settings.data_dir / "csrf.key"),
        cookie_name=settings.csrf_cookie_name,
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        cookie_samesite="lax",
        header_name="x-csrftoken",
    )
    route_handlers: list[Any] = [
        pages.index,
        pages.dashboard,
        pages.healthz,
        account_routes.register_page,
        account_routes.register,
        account_routes.login_page,
        account_routes.login,
        account_routes.logout,
        sessions.sessions_page,
        sessions.revoke_session,
        sessions.revoke_others,
        password.password_page,
        password.change_password,
        strength.password_strength,
        create_static_files_router(path="/static", directories=[ROOT / "static"], name="static"),
    ]
    if settings.test_clock:
        route_handlers += [test_clock.read_clock, test_clock.move_clock]

    app = Litestar(
        route_handlers=route_handlers,
        dependencies=dependencies(settings, clock, service, account),
        middleware=[
            SameOriginMiddleware(),
            AuthGuardMiddleware(service, settings),
            DefineMiddleware(SafeCSRFMiddleware, config=csrf),
        ],
        before_send=[SecurityHeaders(settings), AuthCookies(settings)],
        template_config=TemplateConfig(
            directory=ROOT / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=templating.configure,
        ),
        plugins=[HTMXPlugin()],
        exception_handlers=exception_handlers,
        request_max_body_size=settings.max_body,
        on_startup=[_start],
        on_shutdown=[_stop],
        signature_namespace={"Clock": Clock, "TestClock": TestClock, "Settings": Settings},
        logging_config=None,  # structlog, configured above, writes the logs
        debug=False,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.auth = service
    app.state.account = account
    app.state.purger = purger
    return app


def __getattr__(name: str) -> Any:
    # ``uvicorn app.main:app`` and ``litestar --app app.main:app`` find the app here;
    # importing this module (tests do) builds nothing and reads no environment.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
