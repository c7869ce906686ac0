#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""packed-test.py PRELOAD PROG [MALLOC_STAT]: the packed list of a body
(version 3 on) stays true after it was packed.

prog-packed leaves 3,000 blocks live at an exec that fails (the body is
packed before it), then frees a third, shrinks a third in place and makes
300 new ones. Once it exits (packed again) and once SIGKILLed (the list
with its freed bits, the rest in the table), every block it reports is in
the body with its sizes, the body's live bytes are its in_use counter, and
no free is of a block the body never had. Read by summary-read.py and,
when given, by `malloc-stat show`."""
import os
import re
import subprocess
import sys
import tempfile

import sumtest
from sumtest import check, sr

N = 3000


def main():
    pre, prog = sys.argv[1], sys.argv[2]
    tool = sys.argv[3] if len(sys.argv) > 3 else None
    for how in ("exit", "kill"):
        d = tempfile.mkdtemp(prefix="sumpacked.")
        env = dict(os.environ, LD_PRELOAD=pre, MALLOC_STAT_MODE="summary",
                   MALLOC_STAT_PREFIX=os.path.join(d, "s"))
        r = subprocess.run([prog, str(N)] + (["kill"] if how == "kill" else []), env=env,
                           stdout=subprocess.PIPE, text=True)
        logs = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("s.")]
        if not check(len(logs) == 1 and r.returncode == (-9 if how == "kill" else 0),
                     f"{how}: exit {r.returncode}, {len(logs)} logs"):
            continue
        mine = {int(a, 16): (int(u), int(q)) for a, u, q in (ln.split() for ln in r.stdout.splitlines())}
        o = sr.decode(logs[0])
        live = {b["addr"]: (b["usable"], b["requested"]) for b in o["live"]}
        body, c = o["body"], o["counters"]
        print(f"{how}: {len(mine)} blocks of the probe, body {body}")
        check(len(mine) == N - N // 3 + N // 10, f"{how}: the probe reports {len(mine)} blocks")
        check(body["version"] >= 3 and body["packed"] >= (N // 3 if how == "kill" else len(mine)),
              f"{how}: body {body}: not packed")
        if how == "kill":
            check(body["packed_freed"] >= N // 3, f"{how}: {body['packed_freed']} freed bits")
        wrong = [a for a, s in mine.items() if live.get(a) != s]
        check(not wrong, f"{how}: {len(wrong)} blocks not as the probe has them, "
              f"first 0x{wrong[0] if wrong else 0:x}: {live.get(wrong[0]) if wrong else ''}")
        check(sum(u for u, q in live.values()) == c["in_use"],
              f"{how}: live {sum(u for u, q in live.values())} bytes, in_use {c['in_use']}")
        check(o["unknown_frees"]["count"] == 0, f"{how}: unknown frees {o['unknown_frees']}")
        if tool:
            s = subprocess.run([tool, "show", logs[0]], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
            m = re.search(r"Live blocks: (\d+),", s.stdout)
            check(s.returncode == 0 and m and int(m.group(1)) == len(live),
                  f"{how}: show: exit {s.returncode}, {m and m.group(0)} against {len(live)}: "
                  f"{s.stderr[-300:]}")
        if not sumtest.fails:
            subprocess.run(["rm", "-rf", d])
    return 1 if sumtest.fails else 0


sys.exit(main())
