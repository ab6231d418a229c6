"""``python -m bench.stacks.django_allauth.setup EMAIL`` (password in ``BENCH_PASSWORD``,
data directory in ``APP_DATA_DIR``): the tables, then the user as Django and allauth make
one; then the SQL statements of one signed-in ``GET /dashboard``, printed as JSON
(``{"session": [...]}``). Django's modules are imported once its settings are named."""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.stacks.django_allauth.settings")
    import django  # noqa: PLC0415

    django.setup()
    from allauth.account.models import EmailAddress  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    email, password = sys.argv[1], os.environ["BENCH_PASSWORD"]
    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user(username="bench", email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    client = Client(HTTP_HOST="127.0.0.1")
    if not client.login(username="bench", password=password):
        raise SystemExit("the new user could not sign in")
    client.get("/dashboard")  # the CSRF cookie, as a browser holds it after one page
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/dashboard")
    if response.status_code != 200:
        raise SystemExit(f"/dashboard answered {response.status_code}")
    print(json.dumps({"session": [query["sql"] for query in queries.captured_queries]}))


if __name__ == "__main__":
    main()
