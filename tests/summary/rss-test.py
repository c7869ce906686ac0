#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""rss-test.py PRELOAD PROG: the resident sizes a trace reports are the
program's, not the preload's. prog-live keeps 300,000 blocks of 16 bytes
(about 10 MB of heap); the summary's table for them is about as large
again. The peak resident size the image's FINI reports (maxrss) and its
last RSS sample must be within 3 MB of the program's own peak resident
size untraced (wait4's ru_maxrss), where counting the preload's pages
(its table, its log window, its own and the unwinder's segments) put them
10 MB and more above it."""
import os
import re
import subprocess
import sys
import tempfile

import sumtest
from sumtest import check

N = 300000


def maxrss(argv, env):
    p = subprocess.Popen(argv, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_maxrss * 1024


def main():
    pre, prog = sys.argv[1], sys.argv[2]
    rc, bare = maxrss([prog, str(N)], dict(os.environ))
    check(rc == 0, f"bare: exit {rc}")
    for mode in ("summary", "events"):
        d = tempfile.mkdtemp(prefix="sumrss.")
        env = dict(os.environ, LD_PRELOAD=pre, MALLOC_STAT_MODE=mode,
                   MALLOC_STAT_PREFIX=os.path.join(d, "s"))
        rc, traced = maxrss([prog, str(N)], env)
        logs = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("s.")]
        if not check(rc == 0 and len(logs) == 1, f"{mode}: exit {rc}, {len(logs)} logs"):
            continue
        text = open(logs[0], "rb").read().split(b"\0", 1)[0].decode()
        fini = re.search(r"^\+ FINI .* maxrss=(\d+)", text, re.M)
        rss = re.findall(r"^\+ RSS (\d+) ", text, re.M)
        print(f"{mode}: untraced {bare}, the traced process {traced}, FINI maxrss "
              f"{fini and fini.group(1)}, last RSS {rss[-1] if rss else None}")
        if check(fini is not None and rss, f"{mode}: FINI with maxrss, and RSS entries"):
            for what, v in (("FINI maxrss", int(fini.group(1))), ("the last RSS", int(rss[-1]))):
                check(abs(v - bare) <= 3 << 20,
                      f"{mode}: {what} {v} against {bare} untraced (the traced process: {traced})")
        if not sumtest.fails:
            subprocess.run(["rm", "-rf", d])
    return 1 if sumtest.fails else 0


sys.exit(main())
