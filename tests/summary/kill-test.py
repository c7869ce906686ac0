#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Kill test: kill-test.py PRELOAD PROBE N [TEXT_BYTES] [--stacks]

Runs kill-probe under MALLOC_STAT_MODE=summary, SIGKILLs it after a random
delay, N times, and checks each summary against the probe's own record:
every returned call is reflected exactly; the one call in flight (if any)
may show as before, after, or (a realloc) both blocks. With --stacks the
probe allocates from a hundred call paths with stacks on, and each site's
row must hold what the live blocks that name it hold (the call in flight
may be missing from one or two rows), and have its frames."""
import ctypes, os, random, signal, struct, subprocess, sys, tempfile, time

import importlib.util
spec = importlib.util.spec_from_file_location("sr", os.path.join(os.path.dirname(__file__), "summary-read.py"))
sr = importlib.util.module_from_spec(spec); spec.loader.exec_module(sr)

NS = 4096
def state(path):
    d = open(path, "rb").read()
    seq, pend, kind, slot, done = struct.unpack_from("<5Q", d, 0)
    old = struct.unpack_from("<3Q", d, 40); new = struct.unpack_from("<3Q", d, 64)
    base = struct.unpack_from("<6Q", d, 88)
    ctr = [struct.unpack_from("<4Q", d, 136), struct.unpack_from("<4Q", d, 168)]
    slots = [struct.unpack_from("<3Q", d, 200 + 24 * i) for i in range(NS)]
    return dict(seq=seq, pend=pend, kind=kind, slot=slot, done=done, old=old, new=new,
                base=base, ctr=ctr[seq & 1], slots=slots)

def check(sf, f):
    s = state(sf)
    o = sr.decode(f)
    c = o["counters"]
    live = {b["addr"]: (b["usable"], b["requested"]) for b in o["live"]}
    inflight = s["pend"] == s["seq"] + 1
    slots = list(s["slots"])
    if inflight:
        slots[s["slot"]] = s["old"]		# the state before the call
    b = s["base"]; pc = s["ctr"]
    exp = [b[0] + pc[0], b[1] + pc[1], b[2] + pc[2], b[3] + pc[3]]
    got = [c["allocations"], c["allocated"], c["deallocations"], c["deallocated"]]
    errs = []
    if inflight:
        new_ok = s["done"]
        d_after = [int(s["new"][0] != 0), s["new"][1], int(s["kind"] != 1), s["old"][1]]
        for k in range(4):
            ok = got[k] == exp[k] or (new_ok and got[k] == exp[k] + d_after[k]) or \
                 (not new_ok and k in (0, 1) and s["kind"] != 2 and got[k] >= exp[k] and (k == 1 or got[k] == exp[k] + 1)) or \
                 (not new_ok and k in (2, 3) and got[k] == exp[k] + (1 if k == 2 else s["old"][1]) * (s["kind"] != 1))
            if not ok:
                errs.append("counter %d: %d, expected %d (+%d)" % (k, got[k], exp[k], d_after[k]))
    elif got != exp:
        errs.append("counters %s, expected %s" % (got, exp))
    mine = set()
    for i, (a, u, r) in enumerate(slots):
        if not a:
            continue
        mine.add(a)
        if inflight and i == s["slot"]:
            if a in live and live[a] != (u, r) and s["kind"] != 3:
                errs.append("in-flight old block 0x%x %s != %s" % (a, live[a], (u, r)))
            continue
        if live.get(a) != (u, r):
            errs.append("block 0x%x: %s, probe has %s" % (a, live.get(a), (u, r)))
    total = sum(u for u, r in live.values())
    diff = total - c["in_use"]
    if diff != 0 and not inflight:
        errs.append("live sum %d != in_use %d" % (total, c["in_use"]))
    if STACKS:
        errs += check_sites(o, s, inflight)
    return errs, o, inflight

def check_sites(o, s, inflight):
    """Rows against the live blocks that name them, exactly but for the
    call in flight: at most two rows, by at most one block each."""
    st = o["sites"]
    if st is None or not st["rows"]:
        return ["no call-stack rows (body version %d)" % o["body"]["version"]]
    errs = []
    rows = {r["id"]: r for r in st["rows"]}
    blocks = {}
    for b in o["live"]:
        if b["stack"]:
            n, u = blocks.get(b["stack"], (0, 0))
            blocks[b["stack"]] = (n + 1, u + b["usable"])
    for i in blocks:
        if i not in rows:
            errs.append("live blocks name stack %d, which has no row" % i)
    off = []
    for i, r in rows.items():
        n, u = blocks.get(i, (0, 0))
        if r["live_calls"] != n or r["live_bytes"] != u:
            off.append((i, r["live_calls"] - n, r["live_bytes"] - u))
        if r["frames"] is None:
            errs.append("row %d has no SITE entry" % i)
    big = s["old"][1] + 300016 + 64
    excused = inflight and off and len(off) <= 2 and all(abs(c) <= 1 and abs(b) <= big for _, c, b in off)
    rb = sum(r["live_bytes"] for r in st["rows"])
    lb = sum(b["usable"] for b in o["live"] if b["stack"])
    if off and not excused:
        errs.append("rows differ from their blocks (id, calls, bytes): %s" % off[:4])
    if rb != lb and not excused:
        errs.append("rows hold %d live bytes, blocks with a stack %d" % (rb, lb))
    if len(rows) < 65:
        errs.append("only %d rows: the region never grew" % len(rows))
    return errs

STACKS = "--stacks" in sys.argv

def main():
    args = [a for a in sys.argv[1:] if a != "--stacks"]
    pre, probe, n = args[0], args[1], int(args[2])
    text = args[3] if len(args) > 3 else "8192"
    bad = 0; stats = dict(inflight=0, moved=0, maxslots=0, bins=0)
    for run in range(n):
        d = tempfile.mkdtemp(prefix="sumkill.")
        sf = os.path.join(d, "state")
        env = dict(os.environ, LD_PRELOAD=pre, MALLOC_STAT_MODE="summary",
                   MALLOC_STAT_PREFIX=os.path.join(d, "s"), MALLOC_STAT_SUMMARY_TEXT=text)
        if STACKS:
            env["MALLOC_STAT_BACKTRACE"] = "32"
        p = subprocess.Popen([probe, sf, "100000000"] + (["24"] if STACKS else []), env=env)
        time.sleep(random.uniform(0.02, 1.5))
        p.send_signal(signal.SIGKILL); p.wait()
        logs = [os.path.join(d, x) for x in os.listdir(d) if x.startswith("s.")]
        try:
            errs, o, inf = check(sf, logs[0])
        except Exception as e:
            errs, o, inf = ["unreadable: %s" % e], None, False
        if o:
            stats["inflight"] += inf
            stats["moved"] += o["body"]["offset"] != int(text)
            stats["maxslots"] = max(stats["maxslots"], o["body"]["table_slots"])
            stats["bins"] = max(stats["bins"], len(o["timeline"]["bins"]))
        if errs:
            bad += 1
            print("run %d %s: %s" % (run, logs[0], "; ".join(errs[:5])))
        else:
            subprocess.run(["rm", "-rf", d])
    print("%d/%d runs agree; %d killed inside a call; %d with the body moved; up to %d slots, %d bins"
          % (n - bad, n, stats["inflight"], stats["moved"], stats["maxslots"], stats["bins"]))
    return 1 if bad else 0

sys.exit(main())
