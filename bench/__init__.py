"""``make bench``: the guard against the unguarded page and Litestar's own auth peers.

Run ``python -m bench`` (or ``--quick``); the report goes to ``docs/benchmarks.md``.
Nothing here is imported by the app or its tests.
"""
