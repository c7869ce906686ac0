#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Interleaved A/B runs of commands: two builds of the preload, or one
setting against another, on the same workload.

    bench/ab.py [--rounds N] [--work DIR] NAME=COMMAND NAME=COMMAND ...

Every round runs each command once through /bin/sh, in rotating order. In a
command, $L becomes a fresh empty directory for that run's logs and $W a
fresh empty working directory. Nothing is deleted before the last round:
on ext4 without a journal, files created in the 30 s after a deletion pay
for it (see run.py). Prints each command's median wall time and median CPU
time of the whole tree (user + system, from wait4), with their ratios to
the first command's; a command that fails is reported and stops the run.

Example, the per-process cost of two builds (from the source tree):

    bench/ab.py --rounds 9 \\
        counters='LD_PRELOAD=$PWD/old.so bench/shell-loop.sh' \\
        old='LD_PRELOAD=$PWD/old.so MALLOC_STAT_PREFIX=$L/o bench/shell-loop.sh' \\
        new='LD_PRELOAD=$PWD/new.so MALLOC_STAT_PREFIX=$L/o bench/shell-loop.sh'
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import own_group_dir  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--work", default="bench-work/ab", help="scratch directory")
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = ap.parse_args()
    cmds = []
    for c in args.commands:
        name, sep, cmd = c.partition("=")
        if not sep or not name:
            ap.error("not NAME=COMMAND: %r" % c)
        cmds.append((name, cmd))
    logs = own_group_dir(os.path.join(os.path.abspath(args.work), "logs"))
    work = os.path.join(os.path.abspath(args.work), "work")
    os.makedirs(work, exist_ok=True)
    wall = {n: [] for n, _ in cmds}
    cpu = {n: [] for n, _ in cmds}
    trash = []
    try:
        for r in range(args.rounds):
            k = r % len(cmds)
            for name, cmd in cmds[k:] + cmds[:k]:
                ldir = tempfile.mkdtemp(dir=logs, prefix=name + ".")
                wdir = tempfile.mkdtemp(dir=work, prefix=name + ".")
                trash += [ldir, wdir]
                cmd = cmd.replace("$L", ldir).replace("$W", wdir)
                t0 = time.perf_counter()
                p = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL)
                _, status, ru = os.wait4(p.pid, 0)
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(ru.ru_utime + ru.ru_stime)
                if status:
                    sys.exit("%s: exit status %#x in round %d: %s" % (name, status, r, cmd))
    finally:
        for d in trash:
            shutil.rmtree(d, ignore_errors=True)
    base_w = statistics.median(wall[cmds[0][0]])
    base_c = statistics.median(cpu[cmds[0][0]])
    print("%-14s %9s %7s %9s %7s  %s" % ("", "wall", "ratio", "CPU", "ratio", "wall per round"))
    for name, _ in cmds:
        w = statistics.median(wall[name])
        c = statistics.median(cpu[name])
        print("%-14s %8.3fs %6.2fx %8.3fs %6.2fx  %s" % (
            name, w, w / base_w, c, c / base_c, " ".join("%.2f" % x for x in wall[name])))


if __name__ == "__main__":
    main()
