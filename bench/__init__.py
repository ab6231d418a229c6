"""``make bench``: the app's pages against a bare Litestar page and Litestar's own auth
peers, under load, on SQLite, PostgreSQL and PostgreSQL + Redis, with 1 and 2 workers.

Run ``python -m bench`` (or ``--quick``, or ``--only SECTION``); the report goes to
``docs/benchmarks.md``. ``bench/README.md`` maps the modules. Nothing here is imported by
the app or its tests.
"""
