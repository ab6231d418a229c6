"""Django + django-allauth, as its documentation sets it up, serving the dashboard.

- ``settings.py``: SQLite in the server's data directory, the database-backed session
  (``django.contrib.sessions.backends.db``), Django's default middleware (session, CSRF,
  ``AuthenticationMiddleware``, messages) and allauth's ``AccountMiddleware``; allauth
  signs in by email address.
- ``views.py``: ``/dashboard`` is a plain (sync) view behind ``@login_required``, what a
  Django user writes; under ASGI Django runs it in a thread (``sync_to_async``).
- ``asgi.py``: ``create()``, for ``uvicorn --factory``.
- ``setup.py``: ``python -m bench.stacks.django_allauth.setup``: ``migrate``, then the one
  user with Django's ORM (``create_user``) and allauth's ``EmailAddress`` (verified,
  primary); it prints the SQL one signed-in ``GET /dashboard`` runs.

Per request: the SQLite file opened (``CONN_MAX_AGE`` 0: Django's docs disable
persistent connections under ASGI), the session row (``django_session`` by key, its data
signed with HMAC and checked), the user row (``auth_user`` by id) and the session's auth
hash (an HMAC of the password hash) compared; ``csrf_token()`` masks the CSRF cookie's
secret.
"""
