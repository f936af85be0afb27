"""A 429 slows down every concurrent fetch of the account, not just the one that got it."""

from __future__ import annotations

import threading

from conftest import SECRET

from portal_reports.portal.client import PortalClient


def test_one_429_pauses_every_thread_sharing_the_client(fresh_sandbox):
    sleeps: list[tuple[str, float]] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            sleeps.append((threading.current_thread().name, seconds))
        threading.Event().wait(seconds)

    fresh_sandbox.faults.add("429", count=1, path="/api/v1/bff/sessions", retry_after=1)
    with PortalClient(
        base_url=fresh_sandbox.url, secret=SECRET, progress=False, per_page=20, sleep=sleep
    ) as client:
        counts: dict[str, int] = {}

        def fetch(customer: str) -> None:
            own = client.for_customer(customer)
            counts[customer] = len(own.sessions("2026-09-01T00:00:00Z", "2026-09-30T23:59:59Z"))

        threads = [
            threading.Thread(target=fetch, args=(c,), name=c)
            for c in ("acme-dental", "autohaus-mueller")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert fresh_sandbox.faults.served >= 1
    assert all(counts[c] > 100 for c in ("acme-dental", "autohaus-mueller"))
    waited = {name for name, seconds in sleeps if seconds >= 0.5}
    assert waited == {"acme-dental", "autohaus-mueller"}, sleeps
