"""Profiled by tests/profile_real.rs through `heap-audit profile python`.

tracemalloc sees what is live when the snapshot is taken (the script's end), so the data stays
reachable in module globals.
"""
import sys


def roots(n):
    return [i ** 0.5 for i in range(n)]  # HOT


def labels(n):
    return ["label-%d" % i for i in range(n)]  # WARM


ROOTS = roots(200_000)
LABELS = labels(2_000)
if len(sys.argv) > 1:
    sys.exit(int(sys.argv[1]))
