#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Call stacks under MALLOC_STAT_BACKTRACE: known call paths (in the program
and in a dlopen'ed library) resolve to the right functions with addr2line,
C++ exceptions still unwind through libgcc_s, sampling takes stacks in
proportion to bytes, counts stay exact while sampling, and threads can grow
the table of stack ids while others use it."""
import glob
import os
import subprocess
import sys
import tempfile

PRELOAD, PATHS, LIB, THROW, THREADS, FIRST, QUIET, FDS = sys.argv[1:9]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(argv, env_extra, tmp):
    env = dict(os.environ)
    env.update(env_extra)
    env["LD_PRELOAD"] = PRELOAD
    env["MALLOC_STAT_PREFIX"] = os.path.join(tmp, "out")
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        sys.exit(f"{argv[0]} failed ({out.returncode}): {out.stderr}")
    logs = [f for f in glob.glob(os.path.join(tmp, "out.*"))]
    return out.stdout, logs


def read_log(path):
    """Entries as (fields, stack id); stacks as id -> (frames, maps), where
    maps, as (lo, hi, off, path), are the MAPS block in force when the stack
    was written: an address range can hold another file later."""
    text = open(path, "rb").read().split(b"\0", 1)[0].decode()
    maps, entries, stacks = [], [], {}
    cur, in_maps = None, False
    for line in text.split("\n"):
        if line in ("# MAPS", "+ MAPS 0 0x0"):
            in_maps = True
            maps = []
            continue
        if in_maps:
            if line in ("# END MAPS", "-"):
                in_maps = False
                continue
            f = line.split(None, 5)
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            maps.append((lo, hi, int(f[2], 16), f[5] if len(f) > 5 else ""))
            continue
        if line.startswith("+ "):
            cur = [line.split()[1:], None]
            entries.append(cur)
        elif line.startswith("@ ") and cur is not None:
            f = line.split()
            sid = int(f[1])
            if len(f) > 2:
                stacks[sid] = ([int(x, 16) for x in f[2:]], maps)
            cur[1] = sid
    return entries, stacks


def names_of(stacks, sid):
    frames, maps = stacks.get(sid, ([], []))
    return [resolve(a, maps) for a in frames]


def resolve(addr, maps):
    """Function name of a return address, through addr2line on its module."""
    for lo, hi, off, path in maps:
        if lo <= addr < hi and path.startswith("/"):
            base = lo - off
            r = subprocess.run(["addr2line", "-f", "-e", path, hex(addr - base - 1)],
                               capture_output=True, text=True)
            return r.stdout.split("\n")[0]
    return "?"


def entry_for(entries, req, addr):
    for fields, sid in entries:
        if fields[0] == "malloc" and fields[1] == str(req) and int(fields[2], 16) == addr:
            return sid
    return None


with tempfile.TemporaryDirectory() as tmp:
    out, logs = run([PATHS, LIB], {"MALLOC_STAT_BACKTRACE": "16"}, tmp)
    addrs = dict(line.split() for line in out.split("\n") if line)
    check(len(logs) == 1, "one log for one process")
    check(addrs.get("errno") == "4242",
          f"errno unchanged by the first stack taken ({addrs.get('errno')})")
    entries, stacks = read_log(logs[0])
    sid = entry_for(entries, 4242, int(addrs["chain"], 16))
    check(sid in stacks, "the chain's allocation has a stack")
    names = names_of(stacks, sid)
    print("     chain:", names[:5])
    check(names[:4] == ["path_leaf", "path_middle", "path_top", "main"],
          "chain resolves to path_leaf, path_middle, path_top, main")
    sid = entry_for(entries, 4343, int(addrs["lib"], 16))
    check(sid in stacks, "the library's allocation has a stack")
    names = names_of(stacks, sid)
    print("     lib:", names[:4])
    check(names[:3] == ["lib_alloc_inner", "lib_alloc_outer", "main"],
          "the dlopen'ed library's frames resolve (its MAPS was logged)")
    reused = sum(1 for f, s in entries if s is not None and s in stacks)
    defined = sum(1 for s in stacks)
    check(reused > defined, "repeated stacks are written once and referred to by id")

with tempfile.TemporaryDirectory() as tmp:
    out, logs = run([THROW], {"MALLOC_STAT_BACKTRACE": "32"}, tmp)
    print("    ", out.strip().replace("\n", "; "))
    check("libgcc_s" in out, "C++ exceptions bind to libgcc_s, not to libunwind")
    check("caught: 1000" in out, "every exception was caught")

with tempfile.TemporaryDirectory() as tmp:
    out, logs = run([PATHS, LIB], {"MALLOC_STAT_BACKTRACE": "8",
                                   "MALLOC_STAT_SAMPLE": "65536"}, tmp)
    entries, stacks = read_log(logs[0])
    heavy = sum(1 for f, s in entries if f[0] == "malloc" and f[1] == "3000" and s)
    light = sum(1 for f, s in entries if f[0] == "malloc" and f[1] == "1000" and s)
    allocs = sum(1 for f, s in entries if f[0] in ("malloc", "calloc", "realloc-alloc",
                 "realloc-inplace", "realloc-realloc", "memalign", "posix_memalign",
                 "aligned_alloc", "valloc", "pvalloc"))
    fini = [f for f, s in entries if f[0] == "FINI"]
    total = int(dict(kv.split("=") for kv in fini[0][3:])["allocations"]) if fini else -1
    ratio = heavy / light if light else 0
    print(f"     sampled: heavy {heavy}, light {light}, ratio {ratio:.2f}")
    check(2.4 <= ratio <= 3.6, "sampling takes stacks in proportion to bytes (3:1 expected)")
    check(heavy + light < 20000, "sampling skips most allocations")
    check(allocs == total, f"every allocation is logged while sampling ({allocs} == FINI {total})")

# Threads growing the stack-id table while others look stacks up: every
# stack (thousands, distinct) written out, no crash.
with tempfile.TemporaryDirectory() as tmp:
    out, logs = run([THREADS], {"MALLOC_STAT_BACKTRACE": "24"}, tmp)
    check(out.strip() == "done", "8 threads with 4,096 distinct stacks each ran through")
    entries, stacks = read_log(logs[0])
    ids_of = [s for f, s in entries if f[0] == "malloc" and s]
    ids = set(ids_of)
    check(len(ids_of) >= 8 * 3 * 4096, f"the threads' mallocs have stacks ({len(ids_of)})")
    check(len(ids) >= 4096 and all(i in stacks for i in ids),
          f"distinct stacks written out and referred to ({len(ids)})")

# A thread's first allocation is not sampled at once: each draws its
# first gap (32 threads; the 777-byte site is worth 0.4 samples).
with tempfile.TemporaryDirectory() as tmp:
    out, logs = run([FIRST], {"MALLOC_STAT_BACKTRACE": "8",
                              "MALLOC_STAT_SAMPLE": "65536"}, tmp)
    entries, stacks = read_log(logs[0])
    first = sum(1 for f, s in entries if f[0] == "malloc" and f[1] == "777" and s)
    big = sum(1 for f, s in entries if f[0] == "malloc" and f[1] == "8192" and s)
    print(f"     sampled: 777-byte firsts {first}, 8 KiB blocks {big}")
    check(first <= 4, f"first allocations of threads sampled by their bytes ({first} of 32)")
    check(600 <= big <= 1000, f"the 8 KiB blocks sampled by their bytes ({big}, about 800)")

# Sampled stacks leave the program's blocks where they would be: the
# unwinder's block is made at start in main's thread and at a new
# thread's first allocation, not at the first sampled call mid-run, where
# it moved the later blocks (espresso's usable bytes changed run to run).
bare = subprocess.run([QUIET], capture_output=True, text=True).stdout.split()
check(bare == ["main", "-1", "thread", "-1"], f"bare: the blocks are adjacent ({bare})")
for mode in ("events", "summary"):
    with tempfile.TemporaryDirectory() as tmp:
        out, logs = run([QUIET], {"MALLOC_STAT_MODE": mode, "MALLOC_STAT_BACKTRACE": "16",
                                  "MALLOC_STAT_SAMPLE": "65536"}, tmp)
        got = out.split()
        check(len(got) == 4 and got[1] == "-1" and got[3] in ("-1", "0"),
              f"{mode}, sampled: no block of ours among the program's ({out.strip()!r})")

# The unwinder's pipe (libunwind checks memory through one) is out of the
# program's range: with 0-2 closed at exec, a write to 1 fails as it does
# untraced instead of going into the pipe, and open() returns the same
# number; with them open, open() returns 3, not 5.
for std in ("<&- >&- 2>&-", ""):
    with tempfile.TemporaryDirectory() as tmp:
        res = os.path.join(tmp, "res")
        cmd = ["sh", "-c", f'exec "$0" "$1" {std}', FDS, res]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        bare = open(res).read()
        for mode in ("events", "summary"):
            for extra in ({"MALLOC_STAT_BACKTRACE": "8"},
                          {"MALLOC_STAT_BACKTRACE": "8", "MALLOC_STAT_SAMPLE": "4096"}):
                env = dict(os.environ, LD_PRELOAD=PRELOAD, MALLOC_STAT_MODE=mode,
                           MALLOC_STAT_PREFIX=os.path.join(tmp, "log"), **extra)
                subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
                got = open(res).read()
                check(got == bare, f"{mode} {extra} with {std or 'stdio open'}: "
                      f"{got.strip()!r}, untraced {bare.strip()!r}")

sys.exit(1 if failures else 0)
