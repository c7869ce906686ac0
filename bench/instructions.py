#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Instructions, not seconds: each mode of the preload under callgrind.

    bench/instructions.py --preload SO --churn ALLOC-CHURN [--out FILE]

A shared VM moves a workload's bare wall time by 20-40% between rounds;
the instructions a run executes (user mode, `valgrind --tool=callgrind`)
do not move. This counts them for two small workloads, each bare, with
counters only, the event log, the summary, and the summary with stacks
(depth 32) sampled every 64 KiB or on every allocation, and prints a
markdown table: instructions, the ratio to bare, and instructions per
allocator event over counters only (the events are the image files' own
counts, allocations and frees). A
compiler's whole driver tree is followed (--trace-children=yes) and its
processes' totals are added up.

It is not time: a cache or TLB miss counts one instruction. It tells
whether a change to the event path did what it meant to, which the
timed suite (run.py) cannot resolve below about 5%.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import base_env  # noqa: E402

MODES = [
    ("bare", None),
    ("counters only", {}),
    ("event log", {"MALLOC_STAT_MODE": "events"}),
    ("summary", {"MALLOC_STAT_MODE": "summary"}),
    ("summary, stacks sampled 64 KiB",
     {"MALLOC_STAT_MODE": "summary", "MALLOC_STAT_BACKTRACE": "32",
      "MALLOC_STAT_SAMPLE": "65536"}),
    ("summary, a stack for every allocation",
     {"MALLOC_STAT_MODE": "summary", "MALLOC_STAT_BACKTRACE": "32"}),
]

TOTALS = re.compile(rb"^(?:summary|totals):\s+(\d+)", re.M)


def callgrind(argv, env, cwd, outdir):
    """Runs argv under callgrind: the instructions of every process."""
    out = os.path.join(outdir, "cg.%p")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                        "--callgrind-out-file=" + out] + argv,
                       env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("%s failed under callgrind (rc %d): %s" %
                           (argv[0], r.returncode, r.stderr.decode(errors="replace")[-400:]))
    total = 0
    for f in glob.glob(os.path.join(outdir, "cg.*")):
        with open(f, "rb") as fh:
            m = TOTALS.search(fh.read())
        if not m:
            raise RuntimeError("%s: no totals line" % f)
        total += int(m.group(1))
    return total


def events_of(logdir, tool):
    """Allocations plus frees in the images' files (`malloc-stat show`)."""
    n = 0
    if not os.access(tool, os.X_OK):
        return 0  # built without the tools: no per-event column
    for f in sorted(glob.glob(os.path.join(logdir, "log.*"))):
        r = subprocess.run([tool, "show", f], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        for key in (b"allocations", b"deallocations"):
            m = re.search(rb"^\s+" + key + rb"\s+(\d+)\s*$", r.stdout, re.M)
            if m:
                n += int(m.group(1))
    return n


def workloads(args, scratch):
    src = os.path.join(HERE, "alloc-churn.c")
    return [
        ("alloc-churn, 1 thread, 200 k ops, 256 live blocks",
         [os.path.abspath(args.churn), "1", "200000", "256"], scratch),
        ("`gcc -O2 -c alloc-churn.c` (driver, cc1, as)",
         ["gcc", "-O2", "-c", src, "-o", os.path.join(scratch, "churn.o")], scratch),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preload", required=True)
    ap.add_argument("--churn", required=True, help="the alloc-churn binary")
    ap.add_argument("--tool", help="the malloc-stat tool (for the event counts)")
    ap.add_argument("--out", help="also write the table here")
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        print("valgrind is not installed (bench/install-deps installs it): skipped")
        return 0
    so = os.path.abspath(args.preload)
    tool = args.tool or os.path.join(os.path.dirname(os.path.dirname(so)), "tools",
                                     "malloc-stat")
    lines = ["## Instructions per mode (callgrind)", "",
             "Command: `bench/instructions.py --preload %s --churn %s`" % (args.preload,
                                                                           args.churn), ""]
    scratch = tempfile.mkdtemp(prefix="mstat-instr.")
    try:
        for title, argv, cwd in workloads(args, scratch):
            lines += ["### " + title, "",
                      "| mode | instructions | ratio to bare | per event over counters only |",
                      "|---|---|---|---|"]
            base = counters = None
            events = 0
            rows = []
            for name, extra in MODES:
                outdir = tempfile.mkdtemp(dir=scratch)
                logdir = tempfile.mkdtemp(dir=scratch)
                env = base_env()  # no MALLOC_PERTURB_ from meson test, C locale
                if extra is not None:
                    env["LD_PRELOAD"] = so
                    if extra:
                        env["MALLOC_STAT_PREFIX"] = os.path.join(logdir, "log")
                        env.update(extra)
                n = callgrind(argv, env, cwd, outdir)
                if extra and extra.get("MALLOC_STAT_MODE") == "summary" and not events:
                    events = events_of(logdir, tool)
                if base is None:
                    base = n
                if name == "counters only":
                    counters = n
                rows.append((name, n))
                print("  %-32s %15d" % (name, n), flush=True)
            for name, n in rows:
                per = ""
                if counters and events and name not in ("bare", "counters only"):
                    per = "%.0f" % ((n - counters) / events)
                lines.append("| %s | %.1f M | %.3fx | %s |" % (name, n / 1e6, n / base, per))
            lines += ["", "Allocator events (allocations and frees in the summary's files): %d"
                      % events, ""]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
