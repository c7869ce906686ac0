#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""size-test.py PRELOAD PROG: a summary's size follows the blocks live at
the end, not the calls or the peak.

prog-peak holds 100,000 blocks at its peak and 10 at exit (one round), then
the same with ten rounds (ten times the calls, 100 blocks at exit): both
summaries must be small next to the peak's table (100,000 x 24 bytes), the
ten-round one about the size of the one-round one, and the event log of the
same run far larger. The figures are read back with summary-read.py.

Then 100,000 blocks kept to the end: the body packs them (version 3 on), and
the file stays under 8 bytes a block plus 64 KiB. A packed block is its
address step, usable size and slack as varints, plus a 24-byte group per
64 blocks: 3.4 bytes for these (step 112, usable 104, slack 4: one byte
each), at most 5.4 for any step and usable size below 16 KiB and slack
below 64. The 64 KiB hold the text, the room left for destructors'
entries, the superblock and the timeline. A dense 24-byte array (2.4 MB)
or a half-empty table (6.3 MB) fails it."""
import os
import subprocess
import sys
import tempfile

import sumtest
from sumtest import check, sr


def run(pre, prog, mode, rounds, keep=10):
    d = tempfile.mkdtemp(prefix="sumsize.")
    env = dict(os.environ, LD_PRELOAD=pre, MALLOC_STAT_PREFIX=os.path.join(d, "s"))
    env.pop("MALLOC_STAT_MODE", None)
    if mode:
        env["MALLOC_STAT_MODE"] = mode
    subprocess.run([prog, "100000", str(keep), str(rounds)], env=env, check=True)
    logs = [os.path.join(d, f) for f in os.listdir(d) if f.startswith("s.")]
    check(len(logs) == 1, f"{mode} x{rounds}: {len(logs)} logs")
    st = os.stat(logs[0])
    return logs[0], st.st_size, st.st_blocks * 512


def main():
    pre, prog = sys.argv[1], sys.argv[2]
    f1, size1, disk1 = run(pre, prog, "summary", 1)
    f10, size10, disk10 = run(pre, prog, "summary", 10)
    _, ev10, _ = run(pre, prog, None, 10)
    peak_table = 100000 * 24
    print(f"summary x1 {size1} bytes ({disk1} on disk), x10 {size10} ({disk10}); "
          f"event log x10 {ev10}")
    check(size1 < peak_table / 10, f"x1 summary {size1} bytes: not below a tenth of the peak's table")
    # Ten blocks live at exit and a short text part: the body rebuilt at
    # exit starts at the 64-byte unit 512 bytes past the text (FINI's room)
    # and the file ends with it; the body is the superblock, the bins and
    # one more (at most twice that), the 16-slot table and the list.
    o = sr.decode(f1)
    text_end = open(f1, "rb").read().find(b"\0")
    body, nbins = o["body"], len(o["timeline"]["bins"])
    most = 1280 + 32 * 2 * (nbins + 1) + 24 * 16 + 24 + 16 * 10 + 63
    check(text_end + 512 <= body["offset"] < text_end + 512 + 64 and
          size1 == body["offset"] + body["length"] and body["length"] <= most,
          f"x1 summary {size1} bytes: text ends at {text_end}, body {body}, {nbins} bins "
          f"(a body of at most {most} bytes right after the text's room)")
    # Ten times the calls, the same live blocks: only the timeline may
    # grow, with the run's time, and it is bounded (1024 bins of 32 bytes).
    tl_cap = 1024 * 32
    check(size10 <= size1 + tl_cap, f"x10 summary {size10} bytes against x1 {size1}: grows with the calls")
    check(size10 * 50 < ev10, f"x10 summary {size10} bytes, event log {ev10}: not 2% of it")
    for f, rounds in ((f1, 1), (f10, 10)):
        o = sr.decode(f)
        c = o["counters"]
        mine = [b for b in o["live"] if b["requested"] == 100]
        check(len(mine) == 10 * rounds, f"x{rounds}: {len(mine)} live 100-byte blocks, want {10 * rounds}")
        check(c["allocations"] >= 100000 * rounds and c["in_use"] == sum(b["usable"] for b in o["live"]),
              f"x{rounds}: counters {c} against {len(o['live'])} live blocks")
    fk, sizek, diskk = run(pre, prog, "summary", 1, keep=100000)
    bound = 100000 * 8 + 65536
    print(f"summary with 100,000 blocks live at exit: {sizek} bytes ({diskk} on disk), bound {bound}")
    check(sizek <= bound, f"100,000 live blocks: {sizek} bytes, more than {bound}")
    o = sr.decode(fk)
    mine = [b for b in o["live"] if b["requested"] == 100]
    check(o["body"]["version"] >= 3 and o["body"]["packed"] >= 100000 and len(mine) == 100000,
          f"100,000 live blocks: body {o['body']}, {len(mine)} live 100-byte blocks")
    return 1 if sumtest.fails else 0


sys.exit(main())
