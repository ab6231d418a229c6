"""The strength flood (issue 12): ``clients`` clients hammer ``POST /password-strength``
and ``POST /register`` with crafted passwords, one request at a time each, until the
deadline; prints one JSON line (answers by status, latencies).

Each client comes from an address of its own (127.0.0.2, 127.0.0.3, ...: any address in
127.0.0.0/8 is this machine), so the app's per-address limits (60 strength hints a
minute, ``APP_IP_MAX_ATTEMPTS`` registrations) apply per client as they would to 16
people. The passwords are the l33t one zxcvbn's matcher is slowest on, a 1,000-character
l33t run, and a long run of one repeated l33t block; registrations use an address that
is already taken, so each one costs the whole strength check and then answers ``409``
without hashing (argon2 is the login storm's subject).

``python -m bench.flood URL TAKEN_EMAIL --clients 16 --seconds 5``
"""

from __future__ import annotations

import argparse
import collections
import json
import threading
import time

from bench.client import AppClient
from bench.openloop import percentile

__all__ = ["PASSWORDS", "main"]

L33T = "8453!67$<[{9|!@15<(+"
PASSWORDS = (L33T, (L33T * 50)[:1000], ("4@8({[<3691!|7$5+%20" * 52)[:1024])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("email", help="an address already registered")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()

    clients = [
        AppClient(args.url, local_address=f"127.0.0.{2 + number}") for number in range(args.clients)
    ]
    statuses: collections.Counter[str] = collections.Counter()
    latencies: dict[str, list[float]] = {"strength": [], "register": []}
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + args.seconds

    def hammer(client: AppClient, number: int) -> None:
        step = number
        while time.perf_counter() < deadline:
            password = PASSWORDS[step % len(PASSWORDS)]
            kind = "strength" if step % 2 == 0 else "register"
            fields = (
                {"password": password, "email": args.email}
                if kind == "strength"
                else {"email": args.email, "password": password, "password_confirm": password}
            )
            begun = time.perf_counter()
            response = client.post(
                "/password-strength" if kind == "strength" else "/register", fields
            )
            with lock:
                latencies[kind].append((time.perf_counter() - begun) * 1000)
                statuses[f"{kind} {response.status_code}"] += 1
            step += 1

    threads = [threading.Thread(target=hammer, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    for client in clients:
        client.close()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "statuses": dict(statuses),
                "strength_p50_ms": percentile(latencies["strength"], 0.5),
                "register_p50_ms": percentile(latencies["register"], 0.5),
                "requests": sum(len(v) for v in latencies.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
