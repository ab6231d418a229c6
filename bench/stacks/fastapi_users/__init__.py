"""FastAPI + fastapi-users, as its SQLAlchemy example sets it up, serving the dashboard.

- ``app.py``: the user and access-token tables (UUID ids), a ``UserManager``, and one
  authentication backend per app: ``create_jwt`` (``CookieTransport`` + ``JWTStrategy``,
  HS256) and ``create_db`` (``CookieTransport`` + ``DatabaseStrategy``, the token a
  random string kept in the ``accesstoken`` table); SQLite through aiosqlite, one
  ``AsyncSession`` per request (the ``get_async_session`` dependency); ``/dashboard`` an
  async route behind ``current_user(active=True)``.
- ``setup.py``: ``python -m bench.stacks.fastapi_users.setup``: the tables, the user made
  by ``UserManager.create``; then the SQL of reading one cookie with each strategy.

Per request, JWT: the cookie's JWT verified (HMAC-SHA256) and decoded, then the user row
read by id. Database strategy: the access-token row read by token (and age), then the
user row by id; nothing decrypted or verified. fastapi-users brings no CSRF protection:
``csrf_token()`` is a constant as long as Litestar's token, as on the bare page.
"""
