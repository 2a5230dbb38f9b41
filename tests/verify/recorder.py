"""Counts for the `VERIFY <name> tried=<N> failed=<N>` lines that `make verify` prints.

A check is a test that runs many probes (a request, an input, a header...) and
records each one; the test fails at the end when any probe failed, listing them.
The lines are printed at the end of the pytest session (tests/conftest.py).
"""

from contextlib import contextmanager

CHECKS = {}


class Check:
    def __init__(self, name):
        self.name = name
        self.tried = 0
        self.failures = []

    def probe(self, ok, what):
        """Record one probe; `what` says which and why it failed."""
        self.tried += 1
        if not ok:
            self.failures.append(what)
        return ok

    def line(self):
        return f"VERIFY {self.name} tried={self.tried} failed={len(self.failures)}"

    def assert_clean(self, since=0):
        new = self.failures[since:]
        if new:
            shown = "\n".join(f"- {f}" for f in new[:60])
            more = f"\n... and {len(new) - 60} more" if len(new) > 60 else ""
            raise AssertionError(f"{len(new)} failed here; {self.line()}\n{shown}{more}")


@contextmanager
def check(name):
    """`with check("tenant_isolation") as c: c.probe(...)`; a crash counts as a failure."""
    current = CHECKS.setdefault(name, Check(name))
    since = len(current.failures)
    try:
        yield current
    except Exception as exc:
        current.probe(False, f"crashed: {type(exc).__name__}: {exc}")
        raise
    current.assert_clean(since)
