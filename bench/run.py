#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""The malloc-stat benchmark suite (issue 6).

Runs each workload uninstrumented, under malloc-stat (counters only and
full logging) and under each installed peer (heaptrack, Valgrind massif
--trace-children=yes, glibc memusage, glibc mtrace), interleaved round-robin,
N times, and prints a markdown table per workload: the median and min-max
of the wall-time ratio to the uninstrumented run of the same round, the
output size and bytes per event, what zstd -3 saves on malloc-stat's logs,
and how many of the tree's processes each tool covered, against an
independent count made with strace in a separate, untimed run.

Python 3 standard library only. Nothing here is an assertion: a missing
workload or peer is skipped with the reason printed.

    bench/run.py --preload build/src/malloc-stat.so \\
        --churn build/bench/alloc-churn --mtrace-shim build/bench/mtrace-on.so \\
        --work build/bench/work --reps 5 --out build/bench/results.md

See bench/RESULTS.md for the latest figures and bench/meson.build for the
`meson test --benchmark` targets.
"""

import argparse
import array
import datetime
import fcntl
import glob
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tarfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIR = "/usr/lib/x86_64-linux-gnu"
MEMUSAGE_SO = LIBDIR + "/libmemusage.so"
MALLOC_DEBUG_SO = LIBDIR + "/libc_malloc_debug.so.0"
BINUTILS_TARBALL_GLOB = "/usr/src/binutils/binutils-*.tar.*"

# Workload groups, as the meson benchmark targets name them.
GROUPS = {
    "churn": ["churn-1t", "churn-2t"],
    "compiler": ["cxx"],
    "make": ["make"],
    "configure": ["configure", "shell"],
    "python": ["python", "python-malloc"],
}
ALL_WORKLOADS = [w for g in GROUPS.values() for w in g]
# full-tmpfs (logs in /dev/shm) separates the file system's share of the
# cost from the preload's own; full-beside writes the logs into the
# workload's own directory, where a build deletes its temporary files.
# stacks and stacks-sampled are the capture modes of issue 5. summary is
# MALLOC_STAT_MODE=summary (doc/summary-format.md): the heap's state kept in
# place, whose file size should follow the live blocks, not the calls;
# summary-stacks(-sampled) the same with stacks, per-site rows in the body.
ALL_VARIANTS = ["native", "counters", "full", "summary", "summary-stacks",
                "summary-stacks-sampled", "full-beside", "full-tmpfs", "stacks",
                "stacks-sampled", "heaptrack", "massif", "memusage", "mtrace"]
DEFAULT_VARIANTS = ALL_VARIANTS
# Never cut short by --slow-threshold: they are what the suite measures.
SUMMARY_VARIANTS = ("summary", "summary-stacks", "summary-stacks-sampled")
MSTAT_VARIANTS = ("native", "counters", "full") + SUMMARY_VARIANTS + (
    "full-beside", "full-tmpfs", "stacks", "stacks-sampled")
FULL_VARIANTS = ("full",) + SUMMARY_VARIANTS + ("full-beside", "full-tmpfs", "stacks",
                                                "stacks-sampled")
STACK_DEPTH = 32
STACK_SAMPLE = 65536

# Targets of issue 6 (ratios to uninstrumented, medians): (variant, workload) -> limit.
TARGETS = {
    ("counters", "cxx"): 1.03,
    ("counters", "churn-1t"): 1.15,
    ("counters", "churn-2t"): 1.15,
    ("full", "cxx"): 1.10,
    ("full", "churn-1t"): 2.0,
    ("full", "churn-2t"): 2.0,
    ("full", "make"): 1.05,
    ("full", "configure"): 1.10,
    # The summary kind's targets (its issue); the churn one is for 256 live
    # blocks (--churn-slots 256).
    ("summary", "cxx"): 1.03,
    ("summary", "churn-1t"): 1.25,
    ("summary", "make"): 1.03,
    ("summary", "configure"): 1.08,
    ("summary-stacks", "cxx"): 1.35,
    ("summary-stacks-sampled", "cxx"): 1.06,
    ("stacks", "cxx"): 1.5,
    ("stacks-sampled", "cxx"): 1.10,
}

PY_SCRIPT = """\
import sys
n = int(sys.argv[1])
d = {}
for i in range(n):
    d[str(i)] = (i, str(i * 7), [i])
words = sorted(d, key=lambda k: (len(k), k[::-1]))
print(len(d), len(words), sum(len(v[1]) for v in d.values()))
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return "%.1f %s" % (n / scale, unit)
    return "%d B" % n


def fmt_count(n):
    if n is None:
        return "-"
    if n >= 1e6:
        return "%.2f M" % (n / 1e6)
    if n >= 1e3:
        return "%.1f k" % (n / 1e3)
    return str(n)


def rm_rf(path):
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def base_env():
    """The environment every run starts from: no tracer, no glibc malloc
    tuning (meson test sets MALLOC_PERTURB_, which costs a memset per free),
    C locale."""
    env = dict(os.environ)
    for k in list(env):
        if k.startswith(("MALLOC_", "MEMUSAGE_", "MTRACE_", "LD_PRELOAD", "GLIBC_TUNABLES",
                         "HEAPTRACK", "VALGRIND", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
                         "PYTHON")):
            del env[k]
    env["LC_ALL"] = "C"
    return env


# ---------------------------------------------------------------- ELF check

_dyn_cache = {}


def elf_kind(path, depth=0):
    """'dynamic', 'static', or 'unknown' (file gone, e.g. a deleted
    conftest). Scripts count as their interpreter."""
    if path in _dyn_cache:
        return _dyn_cache[path]
    kind = "unknown"
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:2] == b"#!" and depth < 4:
                f.seek(0)
                line = f.readline(256)[2:].decode(errors="replace").split()
                kind = elf_kind(line[0], depth + 1) if line else "unknown"
            elif head[:4] == b"\x7fELF" and head[4] == 2:
                (phoff,) = struct.unpack_from("<Q", head, 32)
                phentsize, phnum = struct.unpack_from("<HH", head, 54)
                f.seek(phoff)
                table = f.read(phentsize * phnum)
                kind = "static"
                for i in range(phnum):
                    (ptype,) = struct.unpack_from("<I", table, i * phentsize)
                    if ptype == 3:  # PT_INTERP
                        kind = "dynamic"
                        break
    except (OSError, struct.error, IndexError):
        kind = "unknown"
    _dyn_cache[path] = kind
    return kind


# ------------------------------------------------------- process counting

_line_re = re.compile(r"^(\d+)\s+(.*)$")
_ret_re = re.compile(r"\)\s+=\s+(-?\d+)(?:\s.*)?$")
_path_re = re.compile(r'"((?:[^"\\]|\\.)*)"')


def count_processes(trace_file, cwd):
    """Parses `strace -f -e trace=process` output. Every successful fork,
    vfork or clone without CLONE_THREAD makes one process: the tree has the
    root plus one process per such call, whatever order strace printed the
    lines in. A process runs a dynamically linked image at the end when its
    last successful exec was of one (scripts count as their interpreter), or,
    without exec, when its parent did at the fork."""
    kinds = []          # per process: "dynamic", "static", "unknown"
    cur = {}            # pid -> index in kinds of its latest process
    early = {}          # pid -> kind from an exec printed before the fork returned
    threads = set()
    pending = {}
    root_seen = False

    with open(trace_file, errors="replace") as f:
        for raw in f:
            m = _line_re.match(raw.rstrip("\n"))
            if not m:
                continue
            pid, text = int(m.group(1)), m.group(2)
            if not root_seen:
                root_seen = True
                cur[pid] = len(kinds)
                kinds.append("unknown")
            if text.startswith(("+++", "---")):
                continue
            if text.endswith("<unfinished ...>"):
                pending[pid] = text[: -len("<unfinished ...>")]
                continue
            if text.startswith("<... "):
                rest = text.split("resumed>", 1)
                text = pending.pop(pid, "") + (rest[1] if len(rest) > 1 else "")
            name = text.split("(", 1)[0]
            rm = _ret_re.search(text)
            ret = int(rm.group(1)) if rm else None
            if name in ("fork", "vfork", "clone", "clone3") and ret and ret > 0:
                if "CLONE_THREAD" in text:
                    threads.add(ret)
                    continue
                parent = cur.get(pid)
                cur[ret] = len(kinds)
                kinds.append(early.pop(ret, kinds[parent] if parent is not None else "unknown"))
            elif name in ("execve", "execveat") and ret == 0 and pid not in threads:
                paths = _path_re.findall(text)
                path = paths[0] if paths else ""
                full = path if os.path.isabs(path) else os.path.join(cwd, path)
                kind = elf_kind(full)
                if pid in cur:
                    kinds[cur[pid]] = kind
                else:
                    early[pid] = kind
    total = len(kinds)
    static = kinds.count("static")
    return {"total": total, "dynamic": total - static, "static": static,
            "unknown": kinds.count("unknown")}


# ------------------------------------------------------------- log scans

# Entries that are not program events (doc/log-format.md).
CONTROL_ENTRIES = tuple(b"\n+ %s " % t for t in (
    b"TIME", b"INIT", b"FINI", b"FORK", b"EXEC", b"EXEC-FAILED", b"LOG", b"LOST", b"RSS",
    b"MAPS"))


def scan_mstat_logs(paths):
    """Content bytes (up to the first NUL), '+ ' entries, allocator
    entries, and the (PID, START) and PPID of each file."""
    total = entries = control = stacks = distinct = 0
    keys = {}
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        nul = data.find(b"\0")
        if nul >= 0:
            data = data[:nul]
        total += len(data)
        n = data.count(b"\n+ ") + (1 if data.startswith(b"+ ") else 0)
        c = 0
        for t in CONTROL_ENTRIES:
            c += data.count(t)
        entries += n
        control += c
        stacks += data.count(b"\n@ ")
        distinct += len(re.findall(rb"\n@ \d+ 0x", data))
        head = data[:4096].decode(errors="replace")
        pid = re.search(r"^# PID (\d+)$", head, re.M)
        start = re.search(r"^# START (\d+)$", head, re.M)
        ppid = re.search(r"^# PPID (\d+)$", head, re.M)
        if pid and start:
            k = (int(pid.group(1)), int(start.group(1)))
            e = keys.setdefault(k, {"entries": 0, "ppid": int(ppid.group(1)) if ppid else 0})
            e["entries"] += n - c
    return {"bytes": total, "entries": entries, "events": entries - control, "keys": keys,
            "stacks": stacks, "distinct": distinct}


def du_sb(path):
    """`du -sb PATH`: the apparent size of a log directory, the directory
    itself included, as the issue's size targets are stated."""
    try:
        out = subprocess.run(["du", "-sb", path], capture_output=True, text=True).stdout
        return int(out.split()[0])
    except (OSError, ValueError, IndexError):
        return None


def zstd_size(paths, tmpdir):
    """Sum of the files compressed one by one with zstd -3, and the CPU
    time it took."""
    if not shutil.which("zstd"):
        return None, None
    rm_rf(tmpdir)
    os.makedirs(tmpdir)
    t0 = os.times()
    for i in range(0, len(paths), 400):
        subprocess.run(["zstd", "-3", "-q", "-f", "--output-dir-flat", tmpdir] + paths[i:i + 400],
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t1 = os.times()
    size = sum(os.path.getsize(p) for p in glob.glob(os.path.join(tmpdir, "*")))
    rm_rf(tmpdir)
    return size, (t1.children_user + t1.children_system) - (t0.children_user + t0.children_system)


# ------------------------------------------------------------- variants

class Variant:
    name = label = ""

    def __init__(self, ctx):
        self.ctx = ctx
        self.last_cpu = 0.0

    def missing(self):
        return None

    def wrap(self, argv, env, rundir):
        return argv, env

    def collect(self, rundir, wl):
        return {}


class Native(Variant):
    name, label = "native", "uninstrumented"


class Counters(Variant):
    name, label = "counters", "malloc-stat counters only"

    def missing(self):
        p = self.ctx.preload
        return None if p and os.path.exists(p) else "malloc-stat.so not found (%s)" % p

    def wrap(self, argv, env, rundir):
        env["LD_PRELOAD"] = os.path.abspath(self.ctx.preload)
        return argv, env

    def collect(self, rundir, wl):
        return {"output": "none"}


FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_TOPDIR_FL = 0x00020000


def own_group_dir(parent):
    """parent, made if missing and marked as a top of a directory hierarchy
    (chattr +T), so that ext4 places each directory made in it in a block
    group of its own, as it does for directories in the file system's root.
    This keeps the logs' inodes apart from a build's: on ext4 without a
    journal, every file created in a group scans the inodes deleted there
    in the last 30 s (recently_deleted()), and configure deletes thousands
    of conftest files. Elsewhere the ioctl fails and nothing changes."""
    os.makedirs(parent, exist_ok=True)
    try:
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            flags = array.array("l", [0])
            fcntl.ioctl(fd, FS_IOC_GETFLAGS, flags, True)
            flags[0] |= FS_TOPDIR_FL
            fcntl.ioctl(fd, FS_IOC_SETFLAGS, flags, True)
        finally:
            os.close(fd)
    except OSError:
        pass
    return parent


class Full(Counters):
    name, label = "full", "malloc-stat full logging"

    def logdir(self, rundir):
        # As `malloc-stat run` places them by default: a directory apart
        # from the traced build's own files.
        return os.path.join(own_group_dir(os.path.join(self.ctx.work, "logs")),
                            os.path.basename(rundir))

    def wrap(self, argv, env, rundir):
        d = self.logdir(rundir)
        rm_rf(d)
        os.makedirs(d)
        env["LD_PRELOAD"] = os.path.abspath(self.ctx.preload)
        env["MALLOC_STAT_PREFIX"] = os.path.join(d, "ms")
        return argv, env

    def collect(self, rundir, wl):
        paths = sorted(glob.glob(os.path.join(self.logdir(rundir), "ms.*")))
        s = scan_mstat_logs(paths)
        r = {"bytes": s["bytes"], "entries": s["entries"], "events": s["events"],
             "covered": len(s["keys"]), "files": len(paths), "stacks": s["stacks"],
             "distinct": s["distinct"], "du": du_sb(self.logdir(rundir))}
        # The root of the tree: the process this runner started.
        me = os.getpid()
        root = [k for k, v in s["keys"].items() if v["ppid"] == me]
        r["root_events"] = sum(s["keys"][k]["entries"] for k in root) if root else None
        if wl.zstd_wanted and self.name == "full":
            wl.zstd_wanted = False
            z, cpu = zstd_size(paths, os.path.join(self.ctx.work, "zstd-tmp"))
            if z is not None:
                wl.zstd = (s["bytes"], z, cpu)
        if self.name == "full-tmpfs":
            rm_rf(self.logdir(rundir))
        return r

    def trash_dir(self, rundir):
        return self.logdir(rundir)


def file_sizes(paths):
    """Apparent size (st_size) and disk usage (st_blocks * 512) of the
    files: a summary file has a hole between its text and its body."""
    apparent = disk = 0
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        apparent += st.st_size
        disk += st.st_blocks * 512
    return apparent, disk


class Summary(Full):
    """The same log directory as full logging, MALLOC_STAT_MODE=summary."""
    name, label = "summary", "malloc-stat summary (MALLOC_STAT_MODE=summary)"

    def wrap(self, argv, env, rundir):
        argv, env = super().wrap(argv, env, rundir)
        env["MALLOC_STAT_MODE"] = "summary"
        return argv, env

    def collect(self, rundir, wl):
        paths = sorted(glob.glob(os.path.join(self.logdir(rundir), "ms.*")))
        # The text part (up to the first NUL) carries the header and the
        # control entries; the body is binary, so sizes come from stat.
        s = scan_mstat_logs(paths)
        apparent, disk = file_sizes(paths)
        return {"bytes": apparent, "disk": disk, "text": s["bytes"],
                "covered": len(s["keys"]), "files": len(paths), "du": du_sb(self.logdir(rundir))}


class StackCapture:
    """Stacks STACK_DEPTH deep on every allocation, or sampled every
    `sample` bytes on average: beside a logging variant."""
    sample = 0

    def wrap(self, argv, env, rundir):
        argv, env = super().wrap(argv, env, rundir)
        env["MALLOC_STAT_BACKTRACE"] = str(STACK_DEPTH)
        if self.sample:
            env["MALLOC_STAT_SAMPLE"] = str(self.sample)
        return argv, env


EVERY = "stacks of depth %d on every allocation" % STACK_DEPTH
SAMPLED = "stacks of depth %d sampled every %d KiB on average" % (STACK_DEPTH, STACK_SAMPLE >> 10)


class Stacks(StackCapture, Full):
    name, label = "stacks", "malloc-stat full logging, " + EVERY


class StacksSampled(Stacks):
    name, label, sample = "stacks-sampled", "malloc-stat full logging, " + SAMPLED, STACK_SAMPLE


class SummaryStacks(StackCapture, Summary):
    name, label = "summary-stacks", "malloc-stat summary, " + EVERY


class SummaryStacksSampled(SummaryStacks):
    name, label, sample = "summary-stacks-sampled", "malloc-stat summary, " + SAMPLED, STACK_SAMPLE


class FullBeside(Full):
    """MALLOC_STAT_PREFIX=./logs/ms in the build's own directory, in the
    block group where it creates and deletes its files. After the run the
    logs move out (a rename frees no inode), so that the next run does not
    pay for their deletion."""
    name, label = "full-beside", "malloc-stat full logging, logs in the build's directory"

    def logdir(self, rundir):
        return os.path.join(self.wl.cwd, "malloc-stat-logs")

    def moved(self, rundir):
        return os.path.join(self.ctx.work, "beside-logs", os.path.basename(rundir))

    def collect(self, rundir, wl):
        r = super().collect(rundir, wl)
        os.makedirs(os.path.dirname(self.moved(rundir)), exist_ok=True)
        os.rename(self.logdir(rundir), self.moved(rundir))
        return r

    def trash_dir(self, rundir):
        m = self.moved(rundir)
        return m if os.path.exists(m) else self.logdir(rundir)


class FullTmpfs(Full):
    name, label = "full-tmpfs", "malloc-stat full logging, logs on tmpfs"

    def missing(self):
        if not os.path.isdir("/dev/shm"):
            return "no /dev/shm"
        return super().missing()

    def logdir(self, rundir):
        return "/dev/shm/malloc-stat-bench-%d/%s" % (os.getpid(), os.path.basename(rundir))


class Heaptrack(Variant):
    name, label = "heaptrack", "heaptrack"

    def missing(self):
        return None if shutil.which("heaptrack") else "heaptrack not installed"

    def wrap(self, argv, env, rundir):
        return ["heaptrack", "-o", os.path.join(rundir, "ht")] + argv, env

    def collect(self, rundir, wl):
        files = glob.glob(os.path.join(rundir, "ht*"))
        return {"bytes": sum(os.path.getsize(p) for p in files), "covered": len(files),
                "per_root": True}


class Massif(Variant):
    name, label = "massif", "valgrind massif --trace-children=yes"

    def missing(self):
        return None if shutil.which("valgrind") else "valgrind not installed"

    def wrap(self, argv, env, rundir):
        return ["valgrind", "--tool=massif", "--trace-children=yes", "-q",
                "--massif-out-file=" + os.path.join(rundir, "massif.out.%p")] + argv, env

    def collect(self, rundir, wl):
        files = glob.glob(os.path.join(rundir, "massif.out.*"))
        return {"bytes": sum(os.path.getsize(p) for p in files), "covered": len(files),
                "snapshots": True}


class Memusage(Variant):
    name, label = "memusage", "glibc memusage"

    def missing(self):
        return None if os.path.exists(MEMUSAGE_SO) else MEMUSAGE_SO + " missing"

    def wrap(self, argv, env, rundir):
        env["LD_PRELOAD"] = MEMUSAGE_SO
        env["MEMUSAGE_OUTPUT"] = "/dev/null"
        return argv, env

    def collect(self, rundir, wl):
        n = 0
        for p in [os.path.join(rundir, "stderr")] + wl.extra_stderr():
            try:
                with open(p, "rb") as f:
                    n += f.read().count(b"Memory usage summary")
            except OSError:
                pass
        return {"output": "none (/dev/null)", "covered_min": n}


class Mtrace(Variant):
    name, label = "mtrace", "glibc mtrace"

    def missing(self):
        if not os.path.exists(MALLOC_DEBUG_SO):
            return MALLOC_DEBUG_SO + " missing"
        if not self.ctx.mtrace_shim or not os.path.exists(self.ctx.mtrace_shim):
            return "mtrace-on.so (bench/mtrace-on.c) not built"
        return None

    def wrap(self, argv, env, rundir):
        env["LD_PRELOAD"] = MALLOC_DEBUG_SO + " " + os.path.abspath(self.ctx.mtrace_shim)
        env["MTRACE_PREFIX"] = os.path.join(rundir, "mtrace")
        return argv, env

    def collect(self, rundir, wl):
        files = glob.glob(os.path.join(rundir, "mtrace.*"))
        size = lines = covered = 0
        for p in files:
            with open(p, "rb") as f:
                data = f.read()
            size += len(data)
            lines += data.count(b"\n@ ") + (1 if data.startswith(b"@ ") else 0)
            covered += 1 if data.startswith(b"= Start") else 0
        return {"bytes": size, "entries": lines, "covered": covered}


VARIANT_CLASSES = {c.name: c for c in (Native, Counters, Full, Summary, SummaryStacks,
                                        SummaryStacksSampled, FullBeside, FullTmpfs, Stacks,
                                        StacksSampled, Heaptrack, Massif, Memusage, Mtrace)}


# ------------------------------------------------------------- workloads

class Workload:
    name = title = ""
    skip_variants = {}
    builds = False  # creates and deletes files of its own (full-beside)

    def __init__(self, ctx):
        self.ctx = ctx
        self.zstd_wanted = True
        self.zstd = None
        self.cwd = ctx.work

    def setup(self):
        """Untimed, once. Returns None or the reason to skip."""
        return None

    def before_run(self):
        """Untimed, before every run."""

    def argv(self):
        raise NotImplementedError

    def env(self, env):
        return env

    def extra_stderr(self):
        return []


class Churn(Workload):
    def __init__(self, ctx, threads):
        super().__init__(ctx)
        self.threads = threads
        self.name = "churn-%dt" % threads
        self.title = "alloc-churn, %d thread%s, %s ops%s%s" % (
            threads, "s" if threads > 1 else "", fmt_count(ctx.churn_ops),
            ", %d live blocks per thread" % ctx.churn_slots if ctx.churn_slots else "",
            ", cross-thread frees" if threads > 1 else "")

    def setup(self):
        b = self.ctx.churn
        if not b or not os.access(b, os.X_OK):
            return "alloc-churn not built (%s)" % b
        return None

    def argv(self):
        argv = [os.path.abspath(self.ctx.churn), str(self.threads), str(self.ctx.churn_ops)]
        if self.ctx.churn_slots:
            argv.append(str(self.ctx.churn_slots))
        return argv


class Cxx(Workload):
    name = "cxx"
    title = "cc1plus: `g++ -O2 -c stdcxx.cpp` (<bits/stdc++.h> + <regex>), whole driver tree"

    def setup(self):
        if not shutil.which("g++"):
            return "g++ not installed"
        self.cwd = os.path.join(self.ctx.work, "cxx")
        os.makedirs(self.cwd, exist_ok=True)
        shutil.copy(os.path.join(HERE, "stdcxx.cpp"), self.cwd)
        return None

    def argv(self):
        return ["g++", "-O2", "-c", "stdcxx.cpp", "-o", "stdcxx.o"]


# What libiberty's configure and make need from the binutils tree: the
# directory itself, the headers, and the auxiliary scripts configure looks
# for in its parent.
LIBIBERTY_PARTS = ("libiberty", "include", "config", "install-sh", "config.guess", "config.sub",
                   "mkinstalldirs", "move-if-change", "ltmain.sh", "config-ml.in", "missing",
                   "config.rpath")


def source_key(tarball):
    """What an extraction is valid for: the tarball (path, size, mtime) and
    the parts taken from it."""
    st = os.stat(tarball)
    return {"tarball": os.path.realpath(tarball), "size": st.st_size,
            "mtime_ns": st.st_mtime_ns, "parts": list(LIBIBERTY_PARTS)}


def read_stamp(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_stamp(path, data):
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, sort_keys=True)
    os.rename(path + ".tmp", path)


def extract_libiberty(ctx):
    """libiberty (and what its configure needs) from Debian's
    binutils-source tarball, extracted into WORK/src once and reused while
    the tarball's path, size and mtime stay the same. Returns (srcdir, key,
    None) or (None, None, reason).

    GNU tar extracts only the parts named, in one pass over the stream
    (about 2.5 s for binutils 2.40). Python's tarfile took 6.5 min: the
    tarball holds every file a second time as a hard link to itself, and
    tarfile extracts each such link by seeking back to its target, which an
    xz stream can only do by decompressing again from the start."""
    tarballs = sorted(glob.glob(BINUTILS_TARBALL_GLOB))
    if not tarballs:
        return None, None, "binutils-source not installed (no %s; run bench/install-deps)" % \
            BINUTILS_TARBALL_GLOB
    tarball = tarballs[-1]
    key = source_key(tarball)
    top = os.path.join(ctx.work, "src")
    stamp = os.path.join(top, ".extracted.json")
    old = read_stamp(stamp)
    if old and old.get("key") == key and \
            os.path.exists(os.path.join(old.get("srcdir", ""), "libiberty", "configure")):
        return old["srcdir"], key, None
    if not shutil.which("tar"):
        return None, None, "tar not installed"
    # The tree's top directory, from the first member's header (reads only
    # the stream's start).
    try:
        with tarfile.open(tarball) as tf:
            first = tf.next()
    except (OSError, tarfile.TarError) as e:
        return None, None, "cannot read %s: %s" % (tarball, e)
    name = first.name.split("/", 1)[0] if first else ""
    if not name or name in (".", ".."):
        return None, None, "no top directory in %s" % tarball
    tmp = top + ".tmp"
    rm_rf(tmp)
    os.makedirs(tmp)
    log("extracting libiberty from %s (once; reused while the tarball is unchanged)" % tarball)
    t0 = time.time()
    r = subprocess.run(["tar", "-x", "-f", tarball, "-C", tmp, "--no-same-owner"] +
                       ["%s/%s" % (name, p) for p in LIBIBERTY_PARTS],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        rm_rf(tmp)
        err = r.stderr.decode(errors="replace").strip().splitlines()
        return None, None, "tar failed on %s (rc %d%s; run bench/install-deps)" % (
            tarball, r.returncode, ": " + err[0] if err else "")
    rm_rf(top)
    os.rename(tmp, top)
    srcdir = os.path.join(top, name)
    if not os.path.exists(os.path.join(srcdir, "libiberty", "configure")):
        return None, None, "no libiberty/configure in %s" % tarball
    write_stamp(stamp, {"key": key, "srcdir": srcdir})
    log("  extracted in %.1f s" % (time.time() - t0))
    return srcdir, key, None


class Make(Workload):
    name = "make"
    title = "`make -j2` of libiberty (binutils-source), from clean"
    builds = True
    # massif: every gcc, cc1, as of ~80 compiles under valgrind
    skip_variants = {}

    def setup(self):
        if not shutil.which("make") or not shutil.which("gcc"):
            return "make or gcc not installed"
        src, key, why = extract_libiberty(self.ctx)
        if why:
            return why
        # Configured once, and again only when the sources were extracted
        # anew.
        self.cwd = os.path.join(self.ctx.work, "libiberty-make")
        stamp = os.path.join(self.cwd, ".configured.json")
        if read_stamp(stamp) != {"key": key, "srcdir": src} or \
                not os.path.exists(os.path.join(self.cwd, "Makefile")):
            rm_rf(self.cwd)
            os.makedirs(self.cwd)
            log("configuring libiberty once (untimed)")
            r = subprocess.run([os.path.join(src, "libiberty", "configure")], cwd=self.cwd,
                               env=base_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode != 0:
                return "libiberty configure failed (rc %d)" % r.returncode
            write_stamp(stamp, {"key": key, "srcdir": src})
        return None

    def before_run(self):
        subprocess.run(["make", "clean"], cwd=self.cwd, env=base_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def argv(self):
        return ["make", "-j2"]


class Configure(Workload):
    name = "configure"
    title = "libiberty's GNU `configure` (fresh build directory each run)"
    builds = True
    skip_variants = {
        "massif": "every one of the ~3,400 processes would start under Valgrind "
                  "(~0.3 s each: > 15 min per run)",
    }

    def setup(self):
        if not shutil.which("gcc"):
            return "gcc not installed"
        src, _, why = extract_libiberty(self.ctx)
        if why:
            return why
        self.configure = os.path.join(src, "libiberty", "configure")
        self.cwd = os.path.join(self.ctx.work, "libiberty-configure")
        return None

    def before_run(self):
        rm_rf(self.cwd)
        os.makedirs(self.cwd)

    def argv(self):
        return [self.configure]

    def extra_stderr(self):
        return [os.path.join(self.cwd, "config.log")]


class Shell(Workload):
    """bench/shell-loop.sh: configure's per-process pattern, no compiler."""
    name = "shell"
    title = "bash: 400 command substitutions and commands (1,600 images, fork children and exec'd)"
    skip_variants = {
        "massif": "each of the 800 processes would start under Valgrind (~0.3 s each)",
    }

    def setup(self):
        if not os.access("/bin/bash", os.X_OK):
            return "/bin/bash missing"
        return None

    def argv(self):
        return ["/bin/bash", os.path.join(HERE, "shell-loop.sh")]


class Python(Workload):
    def __init__(self, ctx, pymalloc):
        super().__init__(ctx)
        self.pymalloc = pymalloc
        self.name = "python" if pymalloc else "python-malloc"
        self.title = "python3: dict of %s small tuples/strings/lists%s" % (
            fmt_count(ctx.python_n), "" if pymalloc else
            ", PYTHONMALLOC=malloc (every object through malloc)")

    def setup(self):
        if not os.access("/usr/bin/python3", os.X_OK):
            return "/usr/bin/python3 missing"
        return None

    def argv(self):
        return ["/usr/bin/python3", "-c", PY_SCRIPT, str(self.ctx.python_n)]

    def env(self, env):
        if not self.pymalloc:
            env["PYTHONMALLOC"] = "malloc"
        return env


def make_workload(ctx, name):
    return {
        "churn-1t": lambda: Churn(ctx, 1),
        "churn-2t": lambda: Churn(ctx, 2),
        "cxx": lambda: Cxx(ctx),
        "make": lambda: Make(ctx),
        "configure": lambda: Configure(ctx),
        "shell": lambda: Shell(ctx),
        "python": lambda: Python(ctx, True),
        "python-malloc": lambda: Python(ctx, False),
    }[name]()


# ------------------------------------------------------------- running

def run_once(ctx, wl, variant, rundir, timeout):
    """One timed run. Returns (seconds or None, rc, note)."""
    rm_rf(rundir)
    os.makedirs(rundir)
    wl.before_run()
    env = wl.env(base_env())
    argv, env = variant.wrap(wl.argv(), env, rundir)
    with open(os.path.join(rundir, "stdout"), "wb") as out, \
            open(os.path.join(rundir, "stderr"), "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, cwd=wl.cwd, env=env, stdout=out, stderr=err,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        # Popen.wait(timeout) polls in sleeps of up to 50 ms: a blocking
        # wait, with a timer for the timeout, times a run to the microsecond.
        stopped = []

        def stop():
            stopped.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, stop)
        timer.start()
        # wait4: the CPU time of the tree (every process its parent waited
        # for), steadier than wall time on a shared machine.
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        timer.cancel()
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        variant.last_cpu = ru.ru_utime + ru.ru_stime
        if stopped:
            return None, None, "over %d s: stopped" % timeout
    if rc != 0:
        try:
            with open(os.path.join(rundir, "stderr"), "rb") as f:
                tail = f.read()[-300:].decode(errors="replace").strip().splitlines()
        except OSError:
            tail = []
        return None, rc, "exit status %d%s" % (rc, (": " + tail[-1]) if tail else "")
    return t1 - t0, rc, None


def strace_count(ctx, wl):
    if not shutil.which("strace"):
        return None, "strace not installed"
    rundir = os.path.join(ctx.work, "runs", wl.name + "-strace")
    rm_rf(rundir)
    os.makedirs(rundir)
    wl.before_run()
    trace = os.path.join(rundir, "trace")
    argv = ["strace", "-f", "-q", "--seccomp-bpf", "-e", "trace=process", "-o", trace] + wl.argv()
    r = subprocess.run(argv, cwd=wl.cwd, env=wl.env(base_env()), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        # Older strace without --seccomp-bpf.
        wl.before_run()
        argv.remove("--seccomp-bpf")
        r = subprocess.run(argv, cwd=wl.cwd, env=wl.env(base_env()),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        return None, "strace run failed (rc %d)" % r.returncode
    c = count_processes(trace, wl.cwd)
    if not ctx.keep:
        rm_rf(rundir)
    return c, None


def median(xs):
    return statistics.median(xs) if xs else None


def run_workload(ctx, wl, variants):
    res = {"wl": wl, "skip": None, "procs": None, "procs_note": None, "rows": {}}
    why = wl.setup()
    if why:
        res["skip"] = why
        log("%s: skipped: %s" % (wl.name, why))
        return res
    log("== %s: %s" % (wl.name, wl.title))
    active = []
    for v in variants:
        row = {"times": {}, "cpu": {}, "stats": [], "note": None, "skip": None, "fails": [],
               "stopped": None}
        res["rows"][v.name] = row
        row["skip"] = v.missing() or wl.skip_variants.get(v.name)
        if v.name == "full-beside" and not wl.builds:
            row["skip"] = "only builds create and delete files beside their logs"
        if row["skip"]:
            log("  %s: skipped: %s" % (v.name, row["skip"]))
        else:
            active.append(v)
    if not any(v.name == "native" for v in active):
        res["skip"] = "no uninstrumented variant selected"
        return res
    # Warm the page cache and the binaries.
    wl.before_run()
    t, rc, note = run_once(ctx, wl, VARIANT_CLASSES["native"](ctx),
                           os.path.join(ctx.work, "runs", "warmup"), ctx.max_run)
    if t is None:
        res["skip"] = "uninstrumented run failed: %s" % note
        log("%s: skipped: %s" % (wl.name, res["skip"]))
        return res
    log("  warm-up %.2f s" % t)
    c, why = strace_count(ctx, wl)
    res["procs"], res["procs_note"] = c, why
    if c:
        log("  processes (strace): %d, %d dynamically linked" % (c["total"], c["dynamic"]))
    limited = {}
    trash = []
    # The previous workload's deletions (below) would charge this one's
    # file creations for 30 s: let that window pass first.
    wait = getattr(ctx, "quiet_until", 0) - time.time()
    if wait > 0:
        log("  waiting %.0f s for the previous workload's deletions to age" % wait)
        time.sleep(wait)
    for rnd in range(ctx.reps):
        k = rnd % len(active)
        order = active[k:] + active[:k]
        for v in order:
            v.wl = wl
            row = res["rows"][v.name]
            if v.name in limited and len(row["times"]) >= limited[v.name]:
                continue
            if row["skip"]:
                continue
            rundir = os.path.join(ctx.work, "runs", "%s-%s-%d" % (wl.name, v.name, rnd))
            # --max-run bounds the peers. malloc-stat's own variants are what
            # the suite measures: on a loaded host a 40 s configure can pass
            # 60 s, and stopping it would drop the variant for good.
            limit = ctx.max_run if v.name not in MSTAT_VARIANTS else max(ctx.max_run, 1800)
            t, rc, note = run_once(ctx, wl, v, rundir, limit)
            if t is None and note.startswith("over"):
                row["stopped"] = (rnd, limit)
                row["skip"] = "stopped after %d s" % limit
                log("  round %d %-9s stopped after %d s" % (rnd, v.name, limit))
            elif t is None:
                row["fails"].append(note)
                log("  round %d %-9s FAILED: %s" % (rnd, v.name, note))
            else:
                row["times"][rnd] = t
                row["cpu"][rnd] = v.last_cpu
                row["stats"].append(v.collect(rundir, wl))
                log("  round %d %-9s %7.2f s, CPU %7.2f s" % (rnd, v.name, t, v.last_cpu))
                if (t > ctx.slow_threshold and v.name not in MSTAT_VARIANTS and
                        v.name not in limited):
                    limited[v.name] = ctx.slow_reps
                    row["note"] = "slow (> %d s a run): %d run%s" % (
                        ctx.slow_threshold, ctx.slow_reps, "s" if ctx.slow_reps > 1 else "")
            if not ctx.keep:
                trash.append(rundir)
                if v.name in FULL_VARIANTS:
                    trash.append(v.trash_dir(rundir))
    # Deleted only now: on ext4 without a journal, every file creation in
    # the 30 s after a deletion scans the recently deleted inodes of its
    # block group (ext4's recently_deleted()), which would charge the next
    # run for this run's thousands of log files.
    for d in trash:
        rm_rf(d)
    if trash:
        ctx.quiet_until = time.time() + 31
    return res


# ------------------------------------------------------------- reporting

def ratios(res, name, what="times"):
    nat = res["rows"]["native"][what]
    row = res["rows"][name][what]
    return [row[r] / nat[r] for r in row if r in nat and nat[r] > 0]


def first(stats, key):
    vals = [s[key] for s in stats if s.get(key) is not None]
    return vals[0] if vals else None


def workload_table(res):
    wl = res["wl"]
    out = ["### %s" % wl.title, ""]
    if res["skip"]:
        out += ["Skipped: %s." % res["skip"], ""]
        return out
    nat = res["rows"]["native"]
    nt = list(nat["times"].values())
    procs = res["procs"]
    if procs:
        ptxt = "%d process%s (%d dynamically linked%s)" % (
            procs["total"], "es" if procs["total"] != 1 else "", procs["dynamic"],
            ", %d could not be checked and count as dynamic" % procs["unknown"]
            if procs["unknown"] else "")
    else:
        ptxt = "process count unavailable (%s)" % res["procs_note"]
    full = res["rows"].get("full")
    events = first(full["stats"], "events") if full else None
    out.append("Uninstrumented: median %.2f s (%.2f-%.2f s, %d runs); %s by strace%s." % (
        median(nt), min(nt), max(nt), len(nt), ptxt,
        "; %s events in the full log (allocator and mmap calls)" % fmt_count(events) if events else ""))
    out.append("")
    out.append("| variant | ratio (median) | ratio min-max; median CPU-time ratio | median wall (CPU) | runs | output "
               "| bytes/event | processes covered |")
    out.append("|---|---|---|---|---|---|---|---|")
    expected = procs["dynamic"] if procs else None
    root_events = first(full["stats"], "root_events") if full else None
    for name, row in res["rows"].items():
        v = VARIANT_CLASSES[name]
        if row["stopped"] and not row["times"]:
            rnd, limit = row["stopped"]
            nt_r = nat["times"].get(rnd, median(nt))
            out.append("| %s | > %.0fx | | > %d s | stopped after %d s; not repeated "
                       "| | | |" % (v.label, limit / nt_r, limit, limit))
            continue
        if row["skip"] and not row["times"]:
            out.append("| %s | skipped: %s | | | | | | |" % (v.label, row["skip"]))
            continue
        if not row["times"]:
            out.append("| %s | failed: %s | | | | | | |" % (
                v.label, row["fails"][0] if row["fails"] else "no run"))
            continue
        if name == "native":
            rat, mm = "1.00x", "-"
        else:
            rs = ratios(res, name)
            target = TARGETS.get((name, wl.name))
            rat = "**%.2fx**" % median(rs) if target else "%.2fx" % median(rs)
            if target:
                rat += " (target %.2fx: %s)" % (target, "met" if median(rs) <= target else "MISSED")
            mm = "%.2f-%.2f" % (min(rs), max(rs))
            cs = ratios(res, name, "cpu")
            if cs:
                mm += "; CPU %.2fx" % median(cs)
        t = list(row["times"].values())
        runs = str(len(t))
        if row["note"]:
            runs += " (%s)" % row["note"]
        if row["fails"]:
            runs += "; %d failed: %s" % (len(row["fails"]), row["fails"][0])
        st = row["stats"]
        size = first(st, "bytes")
        output = first(st, "output") or fmt_bytes(size)
        bpe = "-"
        if name in SUMMARY_VARIANTS:
            disk = first(st, "disk")
            # Against the event log of the same capture: with stacks, the
            # stacks variant's.
            peer = {"summary-stacks": "stacks", "summary-stacks-sampled": "stacks-sampled"}.get(name)
            peer = res["rows"].get(peer) if peer else full
            fsize = first(peer["stats"], "bytes") if peer and peer["stats"] else None
            output = "%s apparent, %s on disk" % (fmt_bytes(size), fmt_bytes(disk))
            if fsize:
                output += " (%.2f%% / %.2f%% of the full log's %s)" % (
                    100.0 * size / fsize, 100.0 * disk / fsize, fmt_bytes(fsize))
            output += "; %d file%s" % (first(st, "files") or 0,
                                       "" if first(st, "files") == 1 else "s")
            du, fdu = first(st, "du"), first(peer["stats"], "du") if peer and peer["stats"] else None
            if du is not None:
                output += "; du -sb %s" % fmt_bytes(du)
                if fdu:
                    output += " (%.2f%% of the full log's %s)" % (100.0 * du / fdu, fmt_bytes(fdu))
        elif name in FULL_VARIANTS:
            entries = first(st, "entries")
            if size is not None and entries:
                bpe = "%.1f" % (size / entries)
            if wl.zstd and name == "full":
                raw, z, cpu = wl.zstd
                output += "; zstd -3: %s (-%.0f%%, %.1f s CPU)" % (
                    fmt_bytes(z), 100.0 * (1 - z / raw) if raw else 0, cpu)
                if entries:
                    bpe += " (zstd: %.1f)" % (z / entries)
            if name.startswith("stacks") and first(st, "stacks") is not None:
                output += "; %s stacks, %s written out" % (fmt_count(first(st, "stacks")),
                                                         fmt_count(first(st, "distinct")))
        elif name == "mtrace":
            entries = first(st, "entries")
            if size is not None and entries:
                bpe = "%.1f" % (size / entries)
        elif name == "heaptrack" and size is not None:
            if procs and procs["total"] == 1 and events:
                bpe = "%.2f" % (size / events)
            elif root_events:
                bpe = "%.2f (root process only)" % (size / root_events)
            output += " (zstd)"
        elif name == "massif" and size is not None:
            bpe = "n/a (snapshots)"
        if name == "native":
            cov = "%d of %d" % (procs["total"], procs["total"]) if procs else "-"
        elif name == "counters":
            cov = "no log (same start-up as full logging)"
        elif name == "memusage":
            cmin = first(st, "covered_min")
            cov = "all by LD_PRELOAD; %d summaries seen on stderr" % (cmin or 0)
        else:
            covs = [s["covered"] for s in st if s.get("covered") is not None]
            if covs:
                c = "%d" % covs[0] if min(covs) == max(covs) else "%d-%d" % (min(covs), max(covs))
                cov = "%s of %s" % (c, expected if expected is not None else "?")
                if name == "heaptrack":
                    cov += " (does not follow children)"
                if name == "mtrace":
                    cov += " (one file per image; fork children share their parent's)"
            else:
                cov = "-"
        cpu = list(row["cpu"].values())
        out.append("| %s | %s | %s | %.2f s (CPU %.2f s) | %s | %s | %s | %s |" % (
            v.label, rat, mm, median(t), median(cpu) if cpu else 0.0, runs, output, bpe, cov))
    out.append("")
    return out


def machine_info():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    libc = " ".join(platform.libc_ver())
    gcc = "?"
    try:
        gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        pass
    return "nproc %d, CPU %s, kernel %s, %s, gcc %s" % (
        os.cpu_count() or 0, cpu, platform.release(), libc, gcc)


def source_info(preload_so, workdir):
    """The commit the preload was built from, and whether src/ differed."""
    top = os.path.dirname(HERE)
    try:
        rev = subprocess.run(["git", "-C", top, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", top, "status", "--porcelain", "src", "include"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
    fs = "?"
    try:  # the file system the logs go to
        fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE,OPTIONS", "-T", workdir],
                            capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    built = "?"
    try:
        built = datetime.datetime.utcfromtimestamp(os.path.getmtime(preload_so)).strftime(
            "%Y-%m-%d %H:%M UTC")
    except (OSError, TypeError):
        pass
    return "%s built %s, source tree at commit %s%s when the suite started; logs written to %s" % (
        preload_so, built, rev or "?",
        " + uncommitted changes in src/ or include/" if dirty else "", fs)


def summary_table(results):
    out = ["| target (median ratio to uninstrumented) | limit | measured | CPU time | |",
           "|---|---|---|---|---|"]
    by = {r["wl"].name: r for r in results}
    for (vname, wname), limit in TARGETS.items():
        r = by.get(wname)
        label = "%s on %s" % (VARIANT_CLASSES[vname].label, wname)
        if not r or r["skip"] or vname not in r["rows"] or not r["rows"][vname]["times"]:
            continue
        m = median(ratios(r, vname))
        extra = ""
        if vname == "full":
            procs = r["procs"]
            st = r["rows"]["full"]["stats"]
            cov = min((s["covered"] for s in st), default=None)
            if procs and cov is not None:
                extra = "; covered %d of %d dynamically linked processes" % (cov, procs["dynamic"])
                if cov < procs["dynamic"]:
                    extra += " (MISSED)"
        c = median(ratios(r, vname, "cpu"))
        out.append("| %s | %.2fx | %.2fx | %s | %s%s |" % (
            label, limit, m, "%.2fx" % c if c is not None else "-",
            "met" if m <= limit else "**missed**", extra))
    out.append("")
    return out


def report(ctx, results, started, elapsed):
    out = ["## malloc-stat benchmarks", ""]
    out.append("- Date: %s (suite took %.1f min)" % (started.strftime("%Y-%m-%d %H:%M UTC"),
                                                     elapsed / 60))
    out.append("- Machine: %s" % machine_info())
    out.append("- malloc-stat: %s" % ctx.source_info)
    out.append("- Command: `%s`" % " ".join(shlex.quote(a) for a in ctx.argv))
    out.append("- Each round runs every variant once, in rotating order; a ratio is a "
               "variant's wall time over the uninstrumented run of the same round; the CPU-time "
               "ratio compares user + system time of the whole tree (wait4), which the "
               "machine's other load disturbs less. "
               "Processes covered: distinct (PID, START) in malloc-stat's logs, output files "
               "for the peers, against the processes `strace -f -e trace=process` "
               "counted in a separate untimed run.")
    out.append("")
    s = summary_table(results)
    if len(s) > 3:
        out += s
    for r in results:
        out += workload_table(r)
    out.append("The tools' parse speed is measured by the `parse-speed` benchmark "
               "(tests/tools).")
    out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preload", help="malloc-stat.so")
    ap.add_argument("--churn", help="alloc-churn executable")
    ap.add_argument("--mtrace-shim", help="mtrace-on.so (for the mtrace peer)")
    ap.add_argument("--work", default=None, help="scratch directory (default: ./bench-work)")
    ap.add_argument("--workloads", default="all",
                    help="comma-separated names or groups (%s; groups %s)" % (
                        ",".join(ALL_WORKLOADS), ",".join(GROUPS)))
    ap.add_argument("--variants", default=",".join(DEFAULT_VARIANTS),
                    help="comma-separated, from %s (default: all)" %
                    ",".join(ALL_VARIANTS))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "5")),
                    help="rounds (default 5, or $BENCH_REPS)")
    ap.add_argument("--slow-threshold", type=float, default=20.0,
                    help="a peer whose run takes longer than this many seconds ...")
    ap.add_argument("--slow-reps", type=int, default=2, help="... runs only this many times")
    ap.add_argument("--max-run", type=int, default=60,
                    help="stop a peer's run after this many seconds; the peer "
                         "is reported as slower than that and not repeated (malloc-stat's "
                         "own variants get at least 1800 s)")
    ap.add_argument("--churn-ops", type=int, default=6000000)
    ap.add_argument("--churn-slots", type=int, default=0,
                    help="live blocks per alloc-churn thread (default: alloc-churn's 4096)")
    ap.add_argument("--python-n", type=int, default=300000)
    ap.add_argument("--keep", action="store_true", help="keep run directories and logs")
    ap.add_argument("--out", help="also write the markdown here")
    args = ap.parse_args()
    args.argv = [os.path.relpath(sys.argv[0]) if not sys.argv[0].startswith("/") else sys.argv[0]]
    args.argv += sys.argv[1:]
    args.work = os.path.abspath(args.work or "bench-work")
    os.makedirs(os.path.join(args.work, "runs"), exist_ok=True)

    names = []
    for w in args.workloads.split(","):
        w = w.strip()
        if w == "all":
            names += ALL_WORKLOADS
        elif w in GROUPS:
            names += GROUPS[w]
        elif w in ALL_WORKLOADS:
            names.append(w)
        else:
            ap.error("unknown workload %r" % w)
    vnames = [v.strip() for v in args.variants.split(",") if v.strip()]
    for v in vnames:
        if v not in VARIANT_CLASSES:
            ap.error("unknown variant %r" % v)
    if "native" not in vnames:
        vnames.insert(0, "native")
    vnames = [v for v in ALL_VARIANTS if v in vnames]

    started = datetime.datetime.utcnow()
    args.source_info = source_info(args.preload, args.work)
    t0 = time.time()
    results = []
    for n in dict.fromkeys(names):
        wl = make_workload(args, n)
        results.append(run_workload(args, wl, [VARIANT_CLASSES[v](args) for v in vnames]))
    rm_rf("/dev/shm/malloc-stat-bench-%d" % os.getpid())
    text = report(args, results, started, time.time() - t0)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text)
        log("written to %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
