"""The tally of scripts/check-parity.py and scripts/check-fields.py: each
check counted, each failure printed as a "not ok" line at once and kept,
and one summary line with the exit code."""

import sys

failures = []
checked = 0


def check(ok, what):
    """Counts one check; a failed one is printed and kept."""
    global checked
    checked += 1
    if not ok:
        print("not ok - " + what)
        failures.append(what)


def finish(summary):
    """Prints `summary` with the counts, and exits 1 when a check failed."""
    print(f"{'not ok' if failures else 'ok'} - {summary}: {checked} checks, {len(failures)} mismatches")
    sys.exit(1 if failures else 0)
