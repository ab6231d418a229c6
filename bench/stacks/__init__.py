"""The stacks people pick instead of this app, serving the same page: Django +
django-allauth (``django_allauth/``) and FastAPI + fastapi-users (``fastapi_users/``).

They run from their own virtual environment (``var/bench-venv``, from
``requirements.txt``), so nothing under ``django_allauth/``, ``fastapi_users/`` or
``page.py`` imports the app: they read ``templates/`` and the context file the bench
writes into each server's data directory (:mod:`bench.stacks.launch`, which runs in the
bench's own process)."""
