#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Where does malloc-stat's time go? Profiles one command with
`perf record -e cpu-clock` (software clock sampling: works in VMs without
hardware counters, kernel included) uninstrumented, with counters only,
with full logging to a directory and with full logging to tmpfs, and
prints the samples per shared object and the functions whose samples grew
most against the uninstrumented run. Also probes what the file system
charges per log file (create, trim) and per log page.

    bench/profile.py --preload build/src/malloc-stat.so -- alloc-churn 1 6000000
    bench/profile.py --preload build/src/malloc-stat.so --cwd DIR -- g++ -O2 -c x.cpp
    bench/profile.py --fs-probe --logdir /path/where/logs/go

For exact instruction counts per function use callgrind on a -g build:
    LD_PRELOAD=... MALLOC_STAT_PREFIX=... valgrind --tool=callgrind \\
        --dump-instr=yes alloc-churn 1 200000
    callgrind_annotate --auto=yes callgrind.out.PID
Python 3 standard library only.
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MODES = ["native", "counters", "full", "full-tmpfs"]


def perf_run(args, mode, workdir):
    data = os.path.join(workdir, "perf.%s.data" % mode)
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "MALLOC_STAT_PREFIX", "MALLOC_PERTURB_", "MALLOC_CHECK_"):
        env.pop(k, None)
    logdir = None
    if mode != "native":
        env["LD_PRELOAD"] = os.path.abspath(args.preload)
    if mode == "full":
        logdir = os.path.join(os.path.abspath(args.logdir or workdir), "logs-%d" % os.getpid())
    elif mode == "full-tmpfs":
        logdir = "/dev/shm/malloc-stat-profile-%d" % os.getpid()
    if logdir:
        shutil.rmtree(logdir, ignore_errors=True)
        os.makedirs(logdir)
        env["MALLOC_STAT_PREFIX"] = os.path.join(logdir, "ms")
    if args.before:
        subprocess.run(args.before, shell=True, cwd=args.cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    t = time.perf_counter()
    r = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(args.freq),
                        "-o", data, "--"] + args.command, cwd=args.cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
    if logdir:
        shutil.rmtree(logdir, ignore_errors=True)
    if r.returncode != 0:
        sys.exit("perf record failed (%s): %s" % (mode, r.stderr.decode(errors="replace")[-500:]))
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "-n", "--sort", "dso,sym"],
                         capture_output=True, text=True).stdout
    samples = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[(.)\]\s+(.*)$", line)
        if m:
            samples[(m.group(3), m.group(5).strip())] += int(m.group(2))
    return samples, wall


def report_perf(args):
    if not shutil.which("perf"):
        sys.exit("perf is not installed (bench/install-deps)")
    work = tempfile.mkdtemp(prefix="malloc-stat-profile-")
    data, wall = {}, {}
    for mode in MODES:
        data[mode], wall[mode] = perf_run(args, mode, work)
    ms = 1000.0 / args.freq
    print("cpu-clock samples at %d Hz (one sample = %.2f ms of CPU)\n" % (args.freq, ms))
    dsos = collections.Counter()
    for mode in MODES:
        for (dso, _), n in data[mode].items():
            dsos[dso] += n
    print("%-28s" % "shared object", *["%11s" % m for m in MODES])
    for dso, _ in dsos.most_common(10):
        print("%-28s" % dso[:28],
              *["%11d" % sum(n for (d, _), n in data[m].items() if d == dso) for m in MODES])
    print("%-28s" % "total", *["%11d" % sum(data[m].values()) for m in MODES])
    print("%-28s" % "wall (s)", *["%11.2f" % wall[m] for m in MODES])
    base = data["native"]
    for mode in MODES[1:]:
        delta = collections.Counter()
        for k in set(data[mode]) | set(base):
            delta[k] = data[mode].get(k, 0) - base.get(k, 0)
        print("\n%s minus native: functions that grew most (samples)" % mode)
        for (dso, sym), n in delta.most_common(args.top):
            print("%8d  %-22s %s" % (n, dso[:22], sym[:80]))
    print("\nperf data kept in %s (perf report -i ...; perf annotate -i ... SYMBOL)" % work)


def median_us(fn, n):
    ts = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2] * 1e6


def fs_probe(args):
    """What the file system charges for the operations every log file
    needs, on the log directory and on /dev/shm."""
    dirs = [os.path.abspath(args.logdir or ".")]
    if os.path.isdir("/dev/shm"):
        dirs.append("/dev/shm")
    print("%-36s" % "operation (median)", *["%16s" % d[-16:] for d in dirs])
    rows = collections.OrderedDict()
    for d in dirs:
        base = tempfile.mkdtemp(prefix="ms-probe-", dir=d)
        try:
            def create(i):
                os.close(os.open("%s/c.%d" % (base, i),
                                 os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644))
            rows.setdefault("create (O_CREAT|O_EXCL)", []).append(median_us(create, 200))
            fds = [os.open("%s/c.%d" % (base, i), os.O_RDWR) for i in range(200)]

            def zeros(i):
                os.pwrite(fds[i], b"\0" * 65536, 0)
            rows.setdefault("pwrite 64 KiB of zeros", []).append(median_us(zeros, 200))

            def trim(i):
                os.ftruncate(fds[i], 3000)
            rows.setdefault("ftruncate 64 KiB -> 3000", []).append(median_us(trim, 200))

            def falloc(i):
                os.posix_fallocate(fds[i], 65536, 1 << 20)
            rows.setdefault("fallocate 1 MiB", []).append(median_us(falloc, 200))
            for fd in fds:
                os.close(fd)

            def unlink(i):
                os.unlink("%s/c.%d" % (base, i))
            rows.setdefault("unlink", []).append(median_us(unlink, 200))
        finally:
            shutil.rmtree(base, ignore_errors=True)
    for name, vals in rows.items():
        print("%-36s" % name, *["%13.1f us" % v for v in vals])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preload", help="malloc-stat.so")
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--before", help="shell command run untimed before each run (e.g. make clean)")
    ap.add_argument("--logdir", help="where full logging writes (default: a temporary directory)")
    ap.add_argument("--freq", type=int, default=2999)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--fs-probe", action="store_true")
    ap.add_argument("command", nargs="*")
    args = ap.parse_args()
    if args.fs_probe:
        fs_probe(args)
    if args.command:
        if not args.preload:
            ap.error("--preload is required to profile a command")
        report_perf(args)
    elif not args.fs_probe:
        ap.error("give a command after -- or --fs-probe")


if __name__ == "__main__":
    main()
