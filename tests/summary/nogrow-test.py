#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""nogrow-test.py PRELOAD PROG: a body that cannot grow (RLIMIT_FSIZE
lowered under it) costs the program nothing but the blocks it cannot
hold, which are counted as lost.

prog-nogrow keeps 20,000 blocks live per thread once the limit is 64 KiB,
alone and with 4 threads. Each run must exit 0 (no SIGXFSZ, every malloc
served), leave a body whose counters have every call and whose lost count
is not zero, and make few attempts to grow: strace counts its prlimit64
calls (each attempt's limit checks; traced alone, through seccomp, so the
rest runs at full speed). Retrying on every event of a full table made one
per event; the preload waits 10 ms to 1 s after a failure. Then under
RLIMIT_AS, 64 MiB above the process's size, 750,000 blocks (about 48 MB):
the preload's maps must leave them room (before, the body took the
address space and the program's malloc failed)."""
import os
import shutil
import subprocess
import sys
import tempfile

import sumtest
from sumtest import check, sr

N = 20000


def main():
    pre, prog = sys.argv[1], sys.argv[2]
    strace = shutil.which("strace")
    for threads, n, limit in ((0, N, "fsize"), (4, N, "fsize"), (0, 750000, "as")):
        d = tempfile.mkdtemp(prefix="sumnogrow.")
        ours = dict(LD_PRELOAD=pre, MALLOC_STAT_MODE="summary",
                    MALLOC_STAT_PREFIX=os.path.join(d, "s"))
        env = dict(os.environ, **ours)
        argv = [prog, str(threads), str(n), limit]
        trace = os.path.join(d, "trace")
        if strace:  # the preload in the probe only, not in strace
            env = dict(os.environ)
            argv = [strace, "-f", "--seccomp-bpf", "-e", "trace=prlimit64", "-o", trace] + \
                [a for k, v in ours.items() for a in ("-E", f"{k}={v}")] + argv
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=120)
        what = f"{threads} threads, RLIMIT_{limit.upper()}"
        if not check(r.returncode == 0 and r.stdout.startswith("allocations "),
                     f"{what}: exit {r.returncode}, {r.stdout!r} {r.stderr[-300:]!r}"):
            continue
        made = int(r.stdout.split()[1])
        logs = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("s.")]
        if not check(len(logs) == 1, f"{what}: {len(logs)} logs"):
            continue
        o = sr.decode(logs[0])
        c = o["counters"]
        print(f"{what}: counters {c}, lost {o['lost']}")
        check(c["allocations"] >= made and c["deallocations"] >= made - (threads or 1),
              f"{what}: the body counted {c['allocations']} allocations and "
              f"{c['deallocations']} frees of the probe's {made}")
        check(o["lost"] > 0, f"{what}: nothing lost, yet the table could not grow")
        if strace:
            with open(trace) as f:
                calls = sum(1 for ln in f if "prlimit64(" in ln)
            events = 2 * made
            print(f"{what}: {calls} prlimit64 calls for {events} events")
            check(calls < events // 20, f"{what}: {calls} prlimit64 calls for {events} events: "
                  "the growth is retried on every event")
        if not sumtest.fails:
            shutil.rmtree(d)
    return 1 if sumtest.fails else 0


sys.exit(main())
