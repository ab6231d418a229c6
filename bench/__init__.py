"""``make bench``: the app's pages against a bare Litestar page and Litestar's own auth
peers, under load, on SQLite, PostgreSQL and PostgreSQL + Redis, with 1 and 2 workers.

Run ``python -m bench`` (or ``--quick``); the report goes to ``docs/benchmarks.md``.
Nothing here is imported by the app or its tests.
"""
