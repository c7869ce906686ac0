#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
#
# The malloc-stat command on real programs: probes with known answers run
# under `malloc-stat run`, a real make -j2, broken input, merge round trips,
# the HTML page in headless Chromium and a short fuzz run. One case per
# invocation (`tools-test.py CASE`); paths come from the environment that
# tests/tools/meson.build sets. Every check reports file:line and the test
# goes on, so one run shows every failure; exit 77 means skipped.

import inspect
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

MSTAT = os.environ["MSTAT"]
PROGS = os.environ.get("PROG_DIR", "")
SRC = os.environ.get("SRC_DIR", "")
failures = 0


def check(cond, what):
    """One assertion: prints where it failed and carries on."""
    global failures
    if not cond:
        fr = inspect.stack()[1]
        print(f"{os.path.basename(fr.filename)}:{fr.lineno}: FAIL: {what}", flush=True)
        failures += 1
    return cond


def env():
    e = dict(os.environ)
    # A developer may point the tests at another preload build.
    if os.environ.get("MSTAT_TEST_PRELOAD"):
        e["MALLOC_STAT_PRELOAD"] = os.environ["MSTAT_TEST_PRELOAD"]
    e.pop("LD_PRELOAD", None)
    e.pop("MALLOC_STAT_PREFIX", None)
    e["LC_ALL"] = "C"
    return e


def mstat(*args, cwd=None, extra_env=None, timeout=300):
    e = env()
    if extra_env:
        e.update(extra_env)
    return subprocess.run([MSTAT, *args], capture_output=True, text=True, cwd=cwd,
                          env=e, timeout=timeout)


def run_json(tmp, name, cmd, mode=None, **kw):
    """malloc-stat run with the logs in tmp/name/ and the JSON report in
    tmp/name.json; returns (completed process, report). mode: "events"
    or "summary" (run's --events, --summary), else run's default."""
    out = os.path.join(tmp, name + ".json")
    p = mstat("run", "-o", os.path.join(tmp, name) + "/", *(["--" + mode] if mode else []),
              "--json", "--output", out, "--", *cmd, **kw)
    rep = None
    if os.path.exists(out):
        with open(out) as f:
            rep = json.load(f)
    return p, rep


def images(rep):
    return [im for im in rep["images"] if not im["virtual"]]


def summary_body_at(data):
    """The body's byte offset named by a summary's "# SUMMARY F DIGITS"
    line (at byte 20): format 1 counts 4 KiB pages, format 2 64-byte units."""
    return int(data[32:40], 16) * (4096 if data[30:31] == b"1" else 64)


def by_id(rep):
    return {im["id"]: im for im in rep["images"]}


def prog(name):
    return os.path.join(PROGS, name)


# ---- probes with known answers ----

def case_counts(tmp):
    p, rep = run_json(tmp, "counts", [prog("prog-counts")])
    check(p.returncode == 0, f"exit status {p.returncode}, stderr {p.stderr}")
    if not check(rep is not None, "no JSON report"):
        return
    ims = images(rep)
    check(len(ims) == 1, f"{len(ims)} images, want 1")
    im = ims[0]
    check(im["allocations"] == 114, f"allocations {im['allocations']}, want 114")
    check(im["frees"] == 64, f"frees {im['frees']}, want 64")
    check(im["leaked_blocks"] == 50, f"leaked blocks {im['leaked_blocks']}, want 50")
    check(im["leaked_requested"] == 13220, f"leaked requested {im['leaked_requested']}, want 13220")
    check(im["end"] == "exit", f"end {im['end']}")
    check(im["fini"] is not None and im["fini"]["matches"], "FINI counters disagree with the entries")
    check(im["fini"] and im["fini"]["allocations"] == 114, "FINI allocations")
    check(im["in_use_end"] == im["leaked_bytes"], "in use at the end is the leak")
    check(rep["read"]["problems"] == 0, f"problems {rep['read']['problems']}")
    check(rep["heap"]["peak_bytes"] == im["peak"], "one process: the tree peak is its peak")
    # The text report, from the same logs.
    t = mstat("report", os.path.join(tmp, "counts"))
    check(t.returncode == 0, "report exit status")
    check(re.search(r"114 allocations", t.stdout), "text: 114 allocations")
    check(re.search(r"in\s+50 blocks", t.stdout), "text: 50 leaked blocks")
    check("prog-counts" in t.stdout, "text: the command")
    # Threads still allocating while the process exits: FINI says how many
    # ran, and its counters may differ from the entries without a problem.
    for i in range(3):
        p, rep = run_json(tmp, f"exitbusy{i}", [prog("prog-exitbusy")])
        check(p.returncode == 4 and p.stdout == "bye\n", f"exit status {p.returncode}")
        im = rep and images(rep)[0]
        check(im and im["end"] == "exit" and rep["read"]["problems"] == 0,
              f"threads at exit: no problem: {rep and rep['read']['problems']} {p.stderr}")
        logf = os.path.join(tmp, f"exitbusy{i}", log_files(os.path.join(tmp, f"exitbusy{i}"))[0])
        with open(logf, "rb") as f:
            fini = [l for l in f.read().split(b"\n") if l.startswith(b"+ FINI ")]
        check(fini and b" threads=4" in fini[-1], f"FINI names the threads: {fini}")


def case_untraced(tmp):
    # Children that go untraced show in the report with their cause, as
    # counted here: dash runs simple commands through vfork, whose child
    # writes no file; Python's subprocess uses vfork too; env -i and a
    # subshell exec drop the preload from the environment; a missing
    # program fails its exec in the child. A static program keeps the
    # environment and still goes untraced. Before, the first two were
    # simply absent (4 of 6 processes shown).
    if not shutil.which("dash"):
        print("SKIP: dash missing")
        sys.exit(77)
    static = prog("prog-static")
    script = ("LD_PRELOAD= /bin/true; LD_PRELOAD=libc_malloc_debug.so.0 /usr/bin/true; "
              "env -i /bin/true; (LD_PRELOAD= exec /bin/true); /bin/true; "
              "/nonexistent/mstat-x 2>/dev/null; true")
    if os.path.exists(static):
        script += "; %s /bin/true" % static
    p, rep = run_json(tmp, "sh", ["dash", "-c", script])
    check(p.returncode == 0 and rep, f"dash: {p.returncode} {p.stderr[-300:]}")
    why = {}
    for u in rep["untraced"]:
        why[u["why"]] = why.get(u["why"], 0) + 1
    check(why.get("environment without the preload") == 2, f"environment dropped: {why}")
    # env -i and the subshell's exec: the same processes, another program.
    got = [(u["why"], u["path"]) for u in rep["untraced_execs"]]
    check(got == [("environment without the preload", "/bin/true")] * 2,
          f"execs into untraced programs: {got}")
    check(why.get("exec failed") == 1 and
          any(u["path"] == "/nonexistent/mstat-x" and u["errno"] == 2 for u in rep["untraced"]),
          f"the failed exec names its path and errno: {rep['untraced']}")
    if os.path.exists(static):
        check(why.get("static program") == 1, f"the static program: {why}")
    check(rep["totals"]["untraced"] == len(rep["untraced"]), "totals.untraced")
    check(all(u["parent"] is not None for u in rep["untraced"]), "each names the image that started it")
    if os.path.exists(static):
        # Named by a relative path: read from the directory the exec'ing
        # image started in. Before, anything but an absolute path was
        # "no log (reason unknown)".
        p, rel = run_json(tmp, "rel", ["sh", "-c", "./prog-static /bin/true"],
                          cwd=os.path.dirname(static))
        got = [(u["why"], u["path"]) for u in (rel or {}).get("untraced", []) +
               (rel or {}).get("untraced_execs", [])]
        check(p.returncode == 0 and ("static program", "./prog-static") in got,
              f"a static program on a relative path: {p.returncode} {got}")
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv:
        # A setuid program exec'd by a process of another user: the
        # loader's secure-execution mode drops the preload. Whose program
        # it is says nothing to the reader (root here, as is the file's
        # owner); before, the file's owner was compared with the reader's
        # uid and the cause was unknown.
        own = os.path.join(tmp, "own")
        os.mkdir(own)
        os.chmod(own, 0o1777)
        suid = os.path.join(own, "suid-true")
        shutil.copy("/bin/true", suid)
        os.chmod(suid, 0o4755)
        os.chmod(tmp, 0o755)
        p, sr = run_json(own, "x", [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                                    suid])
        got = [(u["why"], u["path"]) for u in (sr or {}).get("untraced_execs", [])]
        check(p.returncode == 0 and got == [("setuid or setgid program", suid)],
              f"a setuid program exec'd by another user: {p.returncode} {got} {p.stderr[-300:]}")
    t = mstat("report", os.path.join(tmp, "sh"))
    check("started untraced" in t.stdout and "Note: " in t.stdout,
          f"the text report says so: {t.stdout[-600:]}")
    # posix_spawn (Python's os.posix_spawn) of a missing program, and of a
    # program with an environment of its own.
    code = ("import os, sys\n"
            "try:\n os.posix_spawn('/nonexistent/mstat-y', ['y'], dict(os.environ))\n"
            "except OSError: pass\n"
            "pid = os.posix_spawn('/bin/true', ['true'], {})\n"
            "os.waitpid(pid, 0)\n"
            "pid = os.posix_spawn('/bin/true', ['true'], dict(os.environ))\n"
            "os.waitpid(pid, 0)\n")
    p, rep = run_json(tmp, "spawn", [sys.executable, "-c", code])
    check(p.returncode == 0 and rep, f"python: {p.returncode} {p.stderr[-300:]}")
    got = sorted((u["why"], u["path"]) for u in rep["untraced"])
    check(got == [("environment without the preload", "/bin/true"),
                  ("exec failed", "/nonexistent/mstat-y")], f"posix_spawn children: {got}")
    check(sum(1 for im in images(rep) if im["exe"] == "/usr/bin/true") == 1,
          "the traced posix_spawn child has its own log")


def case_execs(tmp):
    # An exec is not a new process: a traced process that execs an
    # untraced program is counted apart from the children started
    # untraced, and once among the processes started. Before, each exec
    # was an untraced child too, and the Note said "3 of the 5 processes"
    # where 3 had started: the exec'ing processes counted twice.
    script = ("LD_PRELOAD= /bin/true; env -u LD_PRELOAD /bin/true; "
              "exec env -u LD_PRELOAD /bin/true")
    p, rep = run_json(tmp, "ex", ["sh", "-c", script])
    check(p.returncode == 0 and rep, f"sh: {p.returncode} {p.stderr[-300:]}")
    if not rep:
        return
    t = rep["totals"]
    got = (t["processes"], t["untraced"], t["untraced_execs"], t.get("processes_started"))
    check(got == (2, 1, 2, 3), f"processes, untraced children, untraced execs, started: {got}")
    check([u["path"] for u in rep["untraced"]] == ["/bin/true"] and
          len(rep.get("untraced_execs", [])) == 2, f"the lists: {rep['untraced']}")
    ims = by_id(rep)
    check(all(ims[u["image"]]["command"] == "env" and ims[u["image"]]["exec_untraced"]
              for u in rep.get("untraced_execs", [])),
          f"each exec names the env image that exec'd: {rep.get('untraced_execs')}")
    r = mstat("report", os.path.join(tmp, "ex"))
    check("Gaps: 1 child started untraced: true (environment without the preload)" in r.stdout
          and "2 execs into untraced programs: true (environment without the preload), "
          "true (environment without the preload)" in r.stdout, f"text gaps: {r.stdout[-400:]}")
    check("Note: 1 of the 3 processes started was not traced" in r.stdout,
          f"text note: {r.stdout[-400:]}")
    # In the tree, where they happened: the sh with its untraced child,
    # each env with the program it exec'd.
    tree = r.stdout[r.stdout.find("Process tree"):r.stdout.find("Commands")]
    check(tree.count(" +1 untraced child") == 1 and
          tree.count("-> true: not traced (environment without the preload)") == 2,
          f"the tree's gap marks: {tree}")
    # The HTML page says the same: the marks in its tree, a Gaps section.
    page = os.path.join(tmp, "ex.html")
    h = mstat("report", os.path.join(tmp, "ex"), "--html", page)
    html = open(page).read() if h.returncode == 0 and os.path.exists(page) else ""
    check(html.count("-&gt; true: not traced (environment without the preload)") == 2 and
          "<h2 id=gaps>Gaps</h2><p class=gaps>1 child started untraced: true (environment "
          "without the preload); 2 execs into untraced programs" in html,
          f"the HTML page's gaps: exit {h.returncode} {h.stderr[-300:]}")


def case_cut(tmp):
    # A log cut short names its cause. Before, every CUT was "by a full
    # disk or a file-size limit", and one for ENOMEM "0 by a full disk".
    # A file-size limit (dash counts 512-byte blocks): the preload stops
    # at the limit instead of raising SIGXFSZ, and says EFBIG.
    code = "print(len([str(i) for i in range(20000)]))"
    # The event log: a summary of this stays far below the limit.
    p, rep = run_json(tmp, "fsize", ["sh", "-c", f"ulimit -f 64; exec {sys.executable} -c '{code}'"],
                      mode="events")
    check(p.returncode == 0 and p.stdout == "20000\n", f"python: {p.returncode} {p.stderr[-300:]}")
    if not rep:
        return
    cut = [im for im in images(rep) if im["end"] == "cut"]
    got = [(im["command"], im.get("cut_errno"), im.get("cut_error"), im.get("cut_cause"))
           for im in cut]
    check(got == [("python3", 27, "EFBIG", "file-size limit")], f"the cut image: {got}")
    check(all(im.get("cut_errno") is None for im in images(rep) if im["end"] != "cut"),
          "no cut_errno where no CUT")
    t = mstat("report", os.path.join(tmp, "fsize"))
    check("1 log cut short (file-size limit 1):" in t.stdout, f"text: {t.stdout[-300:]}")
    # Other causes, in crafted logs: each by its own name.
    d = os.path.join(tmp, "crafted")
    os.mkdir(d)
    for pid, err in ((60, 12), (61, 28), (62, 27), (63, 122)):
        f = os.path.join(d, f"log.{pid}.1.0")
        tiny_log(f, pid, 100 + pid, pid * 1_000_000_000, "prog")
        with open(f, "a") as g:
            g.write(f"+ CUT {err} 0x0\n-\n")
    r = mstat("report", "--json", d)
    rep = json.loads(r.stdout) if r.returncode == 0 else None
    got = rep and sorted((im["pid"], im.get("cut_error"), im.get("cut_cause")) for im in images(rep))
    check(got == [(60, "ENOMEM", "ENOMEM"), (61, "ENOSPC", "full disk"),
                  (62, "EFBIG", "file-size limit"), (63, "EDQUOT", "full disk")],
          f"crafted cuts: {got}")
    t = mstat("report", d)
    check("4 logs cut short (full disk 2, file-size limit 1, ENOMEM 1):" in t.stdout,
          f"text: {t.stdout[-300:]}")


def case_pathsearch(tmp):
    # A vfork child that searches PATH (Python's _posixsubprocess, as
    # meson and ninja run their commands) execs once per directory: one
    # child, not one per try. Before, each failed try was an untraced
    # child and the tries overflowed the pending entries (LOST).
    dirs = [os.path.join(tmp, "no-dir-%d" % i) for i in range(20)]
    code = ("import os, subprocess, sys\n"
            "env = dict(os.environ, PATH=sys.argv[1])\n"
            "subprocess.run(['true'], env=env, check=True)\n"
            "try:\n subprocess.run(['mstat-no-such-program'], env=env)\n"
            "except FileNotFoundError: pass\n")
    path = ":".join(dirs + ["/usr/bin", "/bin"])
    p, rep = run_json(tmp, "ps", [sys.executable, "-c", code, path])
    check(p.returncode == 0 and rep, f"python: {p.returncode} {p.stderr[-300:]}")
    if not rep:
        return
    d = os.path.join(tmp, "ps")
    lost = [f for f in log_files(d) if any(l.startswith(b"+ LOST ")
                                           for l in log_lines(os.path.join(d, f)))]
    check(not lost, f"no LOST entry: {lost}")
    check(rep["totals"]["logging_gaps"] == 0, f"logging gaps {rep['totals']['logging_gaps']}")
    r = mstat("report", "--json", d)
    rep = json.loads(r.stdout) if r.returncode == 0 else rep
    got = [(u["why"], u["errno"], os.path.basename(u["path"])) for u in rep["untraced"]]
    check(got == [("exec failed", 2, "mstat-no-such-program")],
          f"one untraced child, the missing program: {got}")
    check(rep["totals"]["untraced"] == 1, f"totals.untraced {rep['totals']['untraced']}")
    check(rep["totals"]["processes"] == 2 and
          sum(1 for im in images(rep) if im["exe"] == "/usr/bin/true") == 1,
          f"python and true traced: {rep['totals']['processes']}")
    # The logs of older preloads hold an entry per try: the reader counts
    # a child once, and not at all when it has a log of its own.
    d = os.path.join(tmp, "old")
    os.mkdir(d)
    tries = "".join(f"+ SPAWN {pid} 0x2 traced /no-dir-{i}/x\n-\n"
                    for i in range(3) for pid in (51, 52))
    tiny_log(os.path.join(d, "log.50.1.0"), 50, 100, 1_000_000_000, "python3",
             body=tries + "+ SPAWN 51 0x0 traced /usr/bin/true\n-\n")
    tiny_log(os.path.join(d, "log.51.1.0"), 51, 101, 1_004_000_000, "true", ppid=50)
    r = mstat("report", "--json", d)
    rep = json.loads(r.stdout) if r.returncode == 0 else None
    got = rep and [(u["pid"], u["path"]) for u in rep["untraced"]]
    check(got == [(52, "/no-dir-2/x")], f"older logs: one untraced child, its last try: {got}")


def case_calls(tmp):
    """One meaning of calls: allocation calls, in the commands table as in
    the call-stack reports; the resident peak says where it came from."""
    out = os.path.join(tmp, "c.json")
    p = mstat("run", "-o", os.path.join(tmp, "c") + "/", "--stacks", "--json", "--output", out, "--",
              prog("prog-counts"), extra_env={"MALLOC_STAT_BACKTRACE": "8", "DEBUGINFOD_URLS": ""})
    check(p.returncode == 0, f"run: {p.returncode} {p.stderr[-300:]}")
    with open(out) as f:
        rep = json.load(f)
    im = images(rep)[0]
    x = exe_stacks(rep, "prog-counts")
    check(x and x["total"]["calls"] == im["allocations"] == 114,
          f"stacks: calls are the allocations: {x and x['total']['calls']} {im['allocations']}")
    t = mstat("report", "--stacks", os.path.join(tmp, "c")).stdout
    head = [l for l in report_section(t, "Commands") if "COUNT" in l]
    row = [l for l in report_section(t, "Commands") if l.startswith("  prog-counts ")]
    check(head and "CALLS" not in head[0] and re.search(r"\bALLOCS\b", head[0]), f"the column: {head}")
    check(row and row[0].split()[1:3] == ["1", "114"], f"prog-counts x 1, 114 allocations: {row}")
    # The resident peak: the higher of maxrss and the samples, and which.
    want = max(im["maxrss"], im["rss_max"])
    check(im["rss_peak"] == want and im["rss_peak_source"] ==
          ("maxrss" if im["maxrss"] >= im["rss_max"] else "samples"),
          f"resident peak {im['rss_peak']} from {im['rss_peak_source']}: maxrss {im['maxrss']}, "
          f"samples {im['rss_max']}")


def case_tree(tmp):
    static = prog("prog-static")
    cmd = [prog("prog-tree"), "root"] + ([static] if os.path.exists(static) else [])
    p, rep = run_json(tmp, "tree", cmd)
    check(p.returncode == 7, f"exit status {p.returncode}, want 7 (passed through)")
    if not check(rep is not None, "no JSON report"):
        return
    ids = by_id(rep)
    ims = images(rep)
    roots = [im for im in ims if im["parent"] is None]
    check(len(roots) == 1, f"{len(roots)} roots, want 1")
    root = roots[0]
    check(root["argv"][1:2] == ["root"], f"root argv {root['argv']}")
    check(root["leaked_blocks"] == 0 and root["end"] == "exit", "root: no leak, exit")

    def kids(node):
        return [im for im in rep["images"] if im["parent"] == node["id"]]

    forks = [im for im in kids(root) if im["relation"] == "fork" and not im["virtual"]]
    leaker = [im for im in forks if im["end"] == "exit"]
    if check(len(leaker) == 1, f"one fork child that exits, got {len(leaker)}"):
        c = leaker[0]
        check(c["leaked_blocks"] == 3 and c["leaked_requested"] == 3000,
              f"fork child leaks 3 x 1000: {c['leaked_blocks']} blocks, {c['leaked_requested']} bytes")
        check(c["inherited_frees"] == 1 and c["inherited_freed"] >= 5000,
              f"fork child freed the inherited block: {c['inherited_frees']}")
        check(c["inherited"] >= 5000, f"INHERITED {c['inherited']}")
        check(c["fini"] and c["fini"]["matches"], "fork child FINI agrees")
        check(c["peak"] >= c["inherited"], "a fork child's peak starts at what it inherited")
    spawned = [im for im in kids(root) if im["relation"] == "spawn"]
    if check(len(spawned) == 1, f"one spawned child, got {len(spawned)}"):
        s = spawned[0]
        check(s["argv"][1:2] == ["spawn"], f"spawned argv {s['argv']}")
        check(s["leaked_blocks"] == 2 and s["leaked_requested"] == 1554, "spawned child leaks 2 x 777")
    execd = [im for im in forks if im["end"] == "exec"]
    if check(len(execd) == 1, f"one fork child that execs, got {len(execd)}"):
        e = execd[0]
        check(e["exec_path"] and e["exec_path"].endswith("prog-tree"), f"exec path {e['exec_path']}")
        check(e["leaked_blocks"] == 0, "blocks live at exec are no leak")
        nxt = kids(e)
        if check(len(nxt) == 1 and nxt[0]["relation"] == "exec", "the exec'd image follows"):
            n = nxt[0]
            check(n["argv"][1:2] == ["image2"], f"exec'd argv {n['argv']}")
            check(n["allocations"] == 1 and n["frees"] == 1 and n["leaked_blocks"] == 0,
                  "exec'd image: 4242 allocated and freed")
            check(n["pid"] == e["pid"] and n["process"] == e["id"], "one process, two images")
    killed = [im for im in forks if im["end"] == "died"]
    if check(len(killed) == 1, f"one killed child, got {len(killed)}"):
        k = killed[0]
        check(k["leaked_blocks"] == 1 and k["leaked_requested"] == 9999, "killed child holds 9999")
        check(k["fini"] is None, "a killed child has no FINI")
    if os.path.exists(static):
        virt = [im for im in rep["images"] if im["virtual"]]
        if check(len(virt) == 1, f"one untraced process, got {len(virt)}"):
            v = virt[0]
            check(v["parent"] == root["id"] and v["relation"] == "fork",
                  "the untraced static child hangs from root through its FORK entry")
            g = kids(v)
            check(len(g) == 1 and g[0]["argv"][1:2] == ["grand"], "grandchild under the gap")
            check(g and g[0]["leaked_requested"] == 555, "grandchild leaks 555")
        check(rep["totals"]["untraced_parents"] == 1, "totals: one untraced parent")
    check(rep["totals"]["processes"] == len({(im["pid"], im["start"]) for im in ims}),
          "processes are (pid, start) pairs")
    check(rep["heap"]["peak_bytes"] > 0 and rep["heap"]["at_peak"], "heap peak and its make-up")
    for a in rep["heap"]["at_peak"]:
        check(a["image"] in ids, "at_peak names images")
    cmds = {c["name"]: c for c in rep["commands"]}
    check("prog-tree" in cmds and cmds["prog-tree"]["count"] == len(ims), "all under one command")
    t = mstat("report", os.path.join(tmp, "tree"), "--top", "0")
    check(t.returncode == 0, "report exit status")
    check("died" in t.stdout and "exec" in t.stdout, "text shows how images ended")
    if os.path.exists(static):
        check(re.search(r"\[pid \d+: not traced\]", t.stdout), "text shows the gap")
    check("grand" in t.stdout, "text shows the grandchild")
    if os.path.exists(static):
        # The command itself static: a gap at the top, its child under it.
        p, rep = run_json(tmp, "static", [static, prog("prog-tree"), "spawn"])
        v = [im for im in rep["images"] if im["virtual"]] if rep else []
        check(len(v) == 1 and v[0]["parent"] is None, "the untraced command is the root gap")
        kids_v = [im for im in rep["images"] if v and im["parent"] == v[0]["id"]] if rep else []
        check(len(kids_v) == 1 and kids_v[0]["argv"][1:2] == ["spawn"], "its child under it")


def case_gap(tmp):
    p, rep = run_json(tmp, "gap", [prog("prog-gap")])
    check(p.returncode == 0, f"exit status {p.returncode}")
    if not check(rep is not None, "no JSON report"):
        return
    im = images(rep)[0]
    check(im["log_off"] == 1, f"LOG 0 entries {im['log_off']}")
    check(im["unmatched_frees"] == 1, f"unmatched frees {im['unmatched_frees']}, want 1")
    check(rep["read"]["problems"] == 0, "a free after a logging gap is no problem")
    check(im["leaked_blocks"] == 0, "nothing leaked")
    check(rep["totals"]["logging_gaps"] == 1 and rep["totals"]["unmatched_frees"] == 1, "totals say so")
    t = mstat("report", os.path.join(tmp, "gap"))
    check("turned logging off" in t.stdout, "the text report says so")


def case_mmap(tmp):
    """Anonymous mappings in known amounts: exact figures."""
    p, rep = run_json(tmp, "mmap", [prog("prog-mmap")])
    check(p.returncode == 0, f"exit status {p.returncode}, stderr {p.stderr}")
    if not check(rep is not None, "no JSON report"):
        return
    im = images(rep)[0]
    pg = 4096
    want = {"mmaps": 4, "munmaps": 5, "mremaps": 1, "anon_peak": 108 * pg, "anon_end": 0,
            "reserved_peak": 256 * pg, "mmap_bytes": 10 * pg + 5 * pg + 100 + pg + 256 * pg}
    for k, v in want.items():
        check(im[k] == v, f"{k} {im[k]}, want {v}")
    check(im["peak"] >= 5000 and im["total_peak"] == im["anon_peak"] + im["peak"],
          f"heap + anon peak {im['total_peak']} = {im['anon_peak']} + {im['peak']}")
    check(im["rss_peak"] > 0 and im["rss_samples"] > 0, "resident size logged")
    check(im["rss_peak_source"] == "maxrss" and im["rss_peak"] == im["maxrss"] >= im["rss_max"],
          f"a root image's peak is its maxrss: {im['rss_peak']} {im['maxrss']} {im['rss_max']}")
    m = rep["memory"]
    check(m["peaks"]["anon"]["bytes"] == 108 * pg, f"tree anon peak {m['peaks']['anon']}")
    check(m["peaks"]["total"]["bytes"] == im["total_peak"], f"tree total peak {m['peaks']['total']}")
    check(m["peaks"]["rss"]["bytes"] == im["rss_max"], "tree resident peak: the samples")
    check(all(len(pt) == 5 for pt in m["series"]), "series: time and four curves")
    check(max(pt[2] for pt in m["series"]) == 108 * pg, "series: the anon curve reaches the peak")
    c = rep["commands"][0]
    check(c["anon_peak_max"] == 108 * pg and c["dominant"] == "anon", f"command row {c}")
    check(c["rss_peak_max"] == im["rss_peak"], "command resident peak")
    e = m["estimate"]
    check(e and e["command"] == "prog-mmap" and e["metric"] == "rss", f"estimate {e}")
    if e:
        j2 = [j for j in e["jobs"] if j["jobs"] == 2][0]
        check(j2["rss"] == 2 * im["rss_peak"] + e["rest"]["rss"] and e["rest"]["rss"] == 0,
              "-j2: twice the per-job peak, nothing else in the tree")
    t = mstat("report", os.path.join(tmp, "mmap"))
    check(re.search(r"highest total 437 KiB", t.stdout), "text: the highest total")
    check(re.search(r"prog-mmap\s+1\s+[\d.]+ KiB\s+432 KiB\s+437 KiB\s+\S+ \S+\s+anon mmap", t.stdout),
          "text: the memory row of the command")
    check(re.search(r"-j4 .* resident", t.stdout), "text: the estimate")


def case_rss(tmp):
    """A program exec'd by the fork child of a big process inherits that
    process's high-water mark at exec: its FINI maxrss is not its own."""
    code = ("import os, sys\n"
            "b = bytearray(150 << 20)\n"
            "for i in range(0, len(b), 4096): b[i] = 1\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.execv('/bin/sh', ['sh', '-c', 'sleep 0.05'])\n"
            "os.waitpid(pid, 0)\n")
    p, rep = run_json(tmp, "rss", [sys.executable, "-c", code])
    check(p.returncode == 0, f"exit status {p.returncode} {p.stderr[-300:]}")
    sh = [im for im in images(rep or {"images": []}) if im["command"] == "sh"]
    check(len(sh) == 1, f"one sh image: {len(sh)}")
    if sh:
        check(sh[0]["maxrss"] > 100 << 20, f"the kernel's maxrss is python's: {sh[0]['maxrss']}")
        check(sh[0]["rss_peak"] < 50 << 20 and sh[0]["rss_peak_source"] != "maxrss",
              f"sh's resident peak is its own: {sh[0]['rss_peak']} from {sh[0]['rss_peak_source']}")


def case_serial(tmp):
    """A strictly serial loop of short programs: never more than the shell
    and one child alive, so the tree's heap is never more than the two of
    them together, however many children end within one tick."""
    n = 200
    script = 'i=0; while [ $i -lt %d ]; do "$0"; i=$((i+1)); done' % n
    p, rep = run_json(tmp, "serial", ["sh", "-c", script, prog("prog-counts")])
    check(p.returncode == 0 and rep is not None, f"exit status {p.returncode}: {p.stderr[-500:]}")
    if not rep:
        return
    ims = images(rep)
    kids = [im for im in ims if im["command"] == "prog-counts"]
    shells = [im for im in ims if im["command"] != "prog-counts"]
    check(len(kids) == n, f"{len(kids)} children, want {n}")
    h = rep["heap"]
    check(h["max_alive"] <= 2, f"at most the shell and one child alive: {h['max_alive']}")
    check(max(pt[2] for pt in h["series"]) <= 2, "the series says so too")
    bound = max(im["peak"] for im in shells) + max(im["peak"] for im in kids)
    check(h["peak_bytes"] <= bound, f"tree heap peak {h['peak_bytes']}: more than a shell and a child ({bound})")
    check(len(h["at_peak"]) <= 2, f"at the peak: {h['at_peak']}")
    for k in ("total", "rss"):
        held = rep["memory"]["peaks"][k]["bytes"]
        one = max(im["total_peak" if k == "total" else "rss_peak"] for im in kids)
        most = max(im["total_peak" if k == "total" else "rss_peak"] for im in shells)
        check(held <= one + most, f"tree {k} peak {held}: more than a shell and a child ({one + most})")
    t = mstat("report", os.path.join(tmp, "serial"))
    alive = [int(m) for m in re.findall(r"at most (\d+) (?:alive|process)", t.stdout)]
    check(alive and max(alive) <= 2, f"text: at most {alive} alive")


def crafted_log(d, pid, ppid, cmd, start_ms, end_ms, maxrss, pstart=1000, time=True, body=""):
    """A log in d as the preload writes one, with made-up figures: a
    malloc of 104 bytes at start_ms (from 10 s), body, a tick at end_ms,
    FINI with maxrss (and its time unless time is False). START follows
    the start in 10 ms ticks from 1000."""
    t, end = (10_000_000_000 + ms * 1_000_000 for ms in (start_ms, end_ms))
    with open(os.path.join(d, f"log.{pid}.1.0"), "w") as f:
        f.write(f"# MALLOC-STAT-LOG 1\n# PID {pid}\n# PPID {ppid}\n# START {1000 + start_ms // 10}\n"
                f"# PSTART {pstart}\n# TIME 1700000000000000000 {t}\n# ORIGIN image\n"
                f"# FILE log.{pid}.1.0\n# CMDLINE {cmd}\n+ INIT 0 0x0\n-\n+ TIME {t} 0x0\n-\n"
                f"+ malloc 100 0x1000 104\n-\n{body}+ TIME {end} 0x0\n-\n"
                "+ FINI 0 0x0 allocations=1 allocated=104 deallocations=0 deallocated=0 in_use=104 "
                f"peak_in_use=104 maxrss={maxrss}" + (f" time={end}" if time else "") + "\n-\n")


def case_rsspeak(tmp):
    """A process's resident peak is FINI's maxrss, exact, unless the memory
    it was exec'd from may have set it: a shell spawned by a big make
    carries make's high-water mark, the compiler that shell spawns does
    not (it starts from the shell's memory)."""
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    MiB = 1 << 20
    rss = lambda n: f"+ RSS {n} 0x0 0\n-\n"
    crafted_log(d, 100, 1, "make", 0, 1000, 100 * MiB, body=rss(90 * MiB))
    crafted_log(d, 101, 100, "sh -c cc1", 100, 500, 100 * MiB, body=rss(2 * MiB))
    crafted_log(d, 102, 101, "cc1 f.c", 200, 400, 31 * MiB, pstart=1010, body=rss(20 * MiB))
    r = mstat("report", "--json", d)
    check(r.returncode == 0 and r.stderr == "", f"report: {r.returncode} {r.stderr}")
    ims = {im["command"]: im for im in images(json.loads(r.stdout))} if r.returncode == 0 else {}
    sh, cc1 = ims.get("sh", {}), ims.get("cc1", {})
    check(cc1.get("relation") == "spawn" and sh.get("relation") == "spawn", f"the tree: {ims.keys()}")
    check(sh.get("rss_peak_source") == "samples" and sh.get("rss_peak") == 2 * MiB,
          f"sh: make's high-water mark is not its own: {sh.get('rss_peak')} {sh.get('rss_peak_source')}")
    check(cc1.get("rss_peak_source") == "maxrss" and cc1.get("rss_peak") == 31 * MiB,
          f"cc1: its maxrss is exact: {cc1.get('rss_peak')} {cc1.get('rss_peak_source')}")


def case_rssless(tmp):
    """Logs without RSS entries, only FINI's maxrss: the tree's resident
    peak is what the processes alive together held, never 0 B beside
    per-command figures."""
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    crafted_log(d, 100, 1, "make", 0, 1000, 1_000_000)
    crafted_log(d, 200, 100, "cc1", 100, 300, 2_000_000)
    crafted_log(d, 201, 100, "as", 400, 500, 3_000_000, time=False)     # an older preload
    crafted_log(d, 202, 100, "ld", 800, 900, 5_000_000)
    r = mstat("report", "--json", d)
    check(r.returncode == 0 and r.stderr == "", f"report: {r.returncode} {r.stderr}")
    j = json.loads(r.stdout) if r.returncode == 0 else None
    if not j:
        return
    rss = j["memory"]["peaks"]["rss"]
    most = max(c["rss_peak_max"] for c in j["commands"])
    check(rss["bytes"] >= most, f"tree resident peak {rss['bytes']} below a command's {most}")
    # make lives 0-1 s, cc1 0.1-0.3 s, as 0.4-0.5 s (its last tick's end), ld 0.8-0.9 s.
    check(rss["bytes"] == 1_000_000 + 5_000_000, f"make and ld together: {rss}")
    check(abs(rss["time"] - 0.8) < 0.001, f"when ld started: {rss['time']}")
    check(j["heap"]["max_alive"] == 2, f"never more than make and one child: {j['heap']['max_alive']}")
    t = mstat("report", d)
    check("resident 0 B" not in t.stdout and re.search(r"resident 5\.72 MiB", t.stdout),
          f"text: the tree's resident peak: {[l for l in t.stdout.splitlines() if 'resident' in l]}")


def case_estimate(tmp):
    """The parallel-jobs estimate on a C and C++ build: the heaviest job is
    the heaviest single run (cc1plus, once, 310 MiB), not the command that
    ran most often (cc1, 5 runs, 31 MiB); everything else is what the other
    commands held together at most, never cc1plus itself; and it says how
    many fit in the RAM given."""
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    MiB = 1 << 20
    crafted_log(d, 100, 1, "make -j2", 0, 2000, 5 * MiB)
    for i in range(5):          # two at a time: 0-200, 100-300, 200-400, ...
        crafted_log(d, 110 + i, 100, f"cc1 f{i}.c", 100 * i, 100 * i + 200, 31 * MiB)
    crafted_log(d, 120, 100, "cc1plus big.cc", 1000, 1500, 310 * MiB)
    r = mstat("report", "--json", "--ram", "1G", d)
    check(r.returncode == 0 and r.stderr == "", f"report: {r.returncode} {r.stderr}")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    e = j.get("memory", {}).get("estimate") or {}
    check(e.get("command") == "cc1plus" and e.get("count") == 1, f"the heaviest job: {e}")
    check(e.get("per_job", {}).get("rss") == 310 * MiB, f"per job: {e.get('per_job')}")
    check(e.get("rest", {}).get("rss") == 5 * MiB + 2 * 31 * MiB,
          f"everything else: make and two cc1 at once, not cc1plus: {e.get('rest')}")
    check(e.get("ram") == 1 << 30 and e.get("ram_source") == "--ram" and
          e.get("fit") == (1024 - 67) // 310, f"how many fit in 1 GiB: {e}")
    j2 = [x for x in e.get("jobs", []) if x["jobs"] == 2]
    check(j2 and j2[0]["rss"] == 2 * 310 * MiB + 67 * MiB, f"-j2: {j2}")
    t = mstat("report", "--ram", "1G", d)
    check(re.search(r"heaviest job is cc1plus \(1 run\), at most 310 MiB resident", t.stdout) and
          re.search(r"N x 310 MiB \+ 67\.0 MiB", t.stdout) and
          re.search(r"In 1\.00 GiB of RAM \(--ram\): 3 of them at once", t.stdout) and
          "assumes every job needs as much as the heaviest run" in t.stdout,
          f"text: {[l for l in t.stdout.splitlines() if 'job' in l or 'RAM' in l]}")
    # Without --ram: this machine's MemTotal.
    with open("/proc/meminfo") as f:
        total = int(re.search(r"MemTotal:\s+(\d+) kB", f.read()).group(1)) * 1024
    r = mstat("report", "--json", d)
    e = json.loads(r.stdout)["memory"]["estimate"] if r.returncode == 0 else {}
    check(e.get("ram") == total and e.get("ram_source") == "MemTotal" and
          e.get("fit") == (total - 67 * MiB) // (310 * MiB), f"MemTotal here: {e}")
    check(mstat("report", "--ram", "lots", d).returncode == 2, "--ram lots: a usage error")


def case_gxx(tmp):
    """A real g++ -O2 compile: cc1plus's resident peak against an
    independent measurement, and how much of it heap and mmap explain."""
    if not shutil.which("g++"):
        print("SKIP: g++ missing")
        sys.exit(77)
    src = os.path.join(tmp, "rx.cc")
    with open(src, "w") as f:
        f.write("#include <regex>\n#include <string>\n"
                "bool match(const std::string &s) { return std::regex_match(s, std::regex(\"a+b[0-9]*\")); }\n")
    cmd = ["g++", "-O2", "-c", src, "-o", os.path.join(tmp, "rx.o")]
    # Independently: the highest resident size of g++'s children (cc1plus).
    tv = shutil.which("time") and os.path.exists("/usr/bin/time")
    if tv:
        r = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env())
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        ref = int(m.group(1)) * 1024 if m else 0
    else:
        import resource
        subprocess.run(cmd, check=True, env=env())
        ref = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    check(ref > 50 << 20, f"independent measurement {ref}")
    p, rep = run_json(tmp, "gxx", cmd)
    check(p.returncode == 0, f"g++: exit {p.returncode}: {p.stderr[-2000:]}")
    if not check(rep is not None, "no JSON report"):
        return
    cc1 = [im for im in images(rep) if im["command"] == "cc1plus"]
    if not check(len(cc1) == 1, "one cc1plus"):
        return
    c = cc1[0]
    rss = c["rss_peak"]
    print(f"cc1plus: resident {rss / 2**20:.1f} MiB (independently {ref / 2**20:.1f} MiB), "
          f"heap {c['peak'] / 2**20:.1f} MiB, anon mmap {c['anon_peak'] / 2**20:.1f} MiB, "
          f"heap + anon {c['total_peak'] / 2**20:.1f} MiB")
    check(abs(rss - ref) <= 0.10 * ref, f"resident {rss} within 10% of {ref}")
    check(c["total_peak"] > 0.60 * rss, f"heap + anon mmap explains most: {c['total_peak']} of {rss}")
    check(c["peak"] < 0.25 * rss, f"malloc alone a small part: {c['peak']} of {rss}")
    e = rep["memory"]["estimate"]
    check(e and e["command"] == "cc1plus", f"the heaviest command is cc1plus: {e}")
    t = mstat("report", os.path.join(tmp, "gxx"))
    check(re.search(r"cc1plus\s+1\s.*anon mmap", t.stdout), "text: cc1plus is mostly anon mmap")
    check(re.search(r"heaviest job is cc1plus", t.stdout), "text: the build answer")
    # The first figure answers "how much memory did this build need": the
    # resident and heap + anonymous mmap peaks, the heap alone beside them.
    head = next((l for l in t.stdout.splitlines()[:4] if l.startswith("Memory needed:")), "")
    m = re.match(r"Memory needed: ([\d.]+ \S+) resident at the peak \([\d.]+ s\), ([\d.]+ \S+) of malloc "
                 r"heap \+ anonymous mmap \([\d.]+ s\), of which ([\d.]+ \S+) of malloc heap alone", head)
    check(m, f"text: the headline: {head!r}")
    if m:
        pk = rep["memory"]["peaks"]
        for got, want in ((m.group(1), pk["rss"]["bytes"]), (m.group(2), pk["total"]["bytes"]),
                          (m.group(3), rep["heap"]["peak_bytes"])):
            check(abs(size_of(got) - want) <= 0.01 * want, f"headline {got} against {want}")
        check(size_of(m.group(1)) >= 0.99 * rss and size_of(m.group(2)) > 4 * size_of(m.group(3)),
              f"resident at least cc1plus's, heap + mmap well above the heap: {head}")
    check(t.stdout.index("Memory needed:") < t.stdout.index("Malloc heap of the whole tree"),
          "the memory needed comes before the heap alone")


def size_of(text):
    """Bytes of a size as the text report prints it ("12.7 MiB")."""
    v, unit = text.split()
    return float(v) * {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]


def src_line(name, text):
    """The 1-based line of the first line of a probe's source holding text."""
    with open(os.path.join(SRC, "tests", "tools", name)) as f:
        for i, l in enumerate(f, 1):
            if text in l:
                return i
    return -1


def run_stacks(tmp, name, cmd, depth="32", sample=None, more=()):
    out = os.path.join(tmp, name + ".json")
    coll = os.path.join(tmp, name + ".collapsed")
    e = {"MALLOC_STAT_BACKTRACE": depth, "DEBUGINFOD_URLS": ""}
    if sample:
        e["MALLOC_STAT_SAMPLE"] = sample
    p = mstat("run", "-o", os.path.join(tmp, name) + "/", "--stacks", "--top", "0", "--json",
              "--output", out, "--collapsed", coll, *more, "--", *cmd, extra_env=e)
    rep = None
    if os.path.exists(out):
        with open(out) as f:
            rep = json.load(f)
    return p, rep, coll


def exe_stacks(rep, base):
    for x in rep["stacks"]["executables"]:
        if os.path.basename(x["exe"]) == base:
            return x
    return None


def names(row):
    return [f["function"] for f in row["frames"]]


def find_row(rows, *funcs):
    """The first row whose frames start with funcs (prefixes of names)."""
    for r in rows:
        n = names(r)
        if len(n) >= len(funcs) and all(n[i].startswith(f) for i, f in enumerate(funcs)):
            return r
    return None


def case_stacks(tmp):
    lib = prog("lib-stacks.so")
    p, rep, coll = run_stacks(tmp, "paths", [prog("prog-stacks"), lib])
    check(p.returncode == 0, f"exit status {p.returncode}: {p.stderr[-2000:]}")
    if not check(rep is not None and "stacks" in rep, "no stacks in the JSON report"):
        return
    x = exe_stacks(rep, "prog-stacks")
    if not check(x is not None, "prog-stacks has stacks"):
        return
    check(x["images"] == 1 and x["sample"] == 0, f"one image, every allocation: {x['images']} {x['sample']}")
    leak = find_row(x["leaks"], "leak_leaf", "leak_middle", "main")
    if check(leak is not None, f"leaks name leak_leaf <- leak_middle <- main: {[names(r)[:3] for r in x['leaks']]}"):
        check(leak["leaked_blocks"] == 4 and leak["leaked_bytes"] >= 10000, f"4 leaked blocks: {leak}")
        f = leak["frames"]
        check(f[0]["file"].endswith("prog-stacks.c") and
              f[0]["line"] == src_line("prog-stacks.c", "return malloc(n);"), f"leak_leaf's line {f[0]}")
        check(f[1]["line"] == src_line("prog-stacks.c", "void *p = leak_leaf(n);"), f"leak_middle's line {f[1]}")
        check(x["leaks"][0] is leak or x["leaks"][0]["leaked_bytes"] >= leak["leaked_bytes"], "leaks sorted")
    top = x["by_bytes"][0]
    check(names(top)[:2] == ["heavy_site", "main"] and top["calls"] == 20000,
          f"top site by bytes: heavy_site x 20000: {names(top)[:2]} {top['calls']}")
    calls = [names(r)[0] for r in x["by_calls"][:2]]
    check(sorted(calls) == ["heavy_site", "light_site"], f"top by calls: {calls}")
    check(x["by_peak"] and all(r["peak_bytes"] > 0 for r in x["by_peak"]), "contributions to the peak")
    peak = sum(r["peak_bytes"] for r in x["by_peak"])
    im = images(rep)[0]
    check(peak == im["peak"], f"blocks live at the peak add up to the peak: {peak} {im['peak']}")
    lr = find_row(x["by_bytes"], "lib_stacks_hidden", "lib_stacks_outer", "main")
    if check(lr is not None, "the dlopen'ed library's frames are named"):
        f = lr["frames"]
        check(f[0]["line"] == src_line("lib-stacks.c", "return malloc(n);") and
              f[1]["line"] == src_line("lib-stacks.c", "lib_stacks_hidden(n);") and
              f[0]["module"] == "lib-stacks.so", f"library lines: {f[:2]}")
    # Collapsed stacks: parse, root frame the command, sum to the total.
    total, ok = 0, True
    with open(coll) as fh:
        for line in fh:
            m = re.match(r"^(\S[^\n]*) (\d+)$", line.rstrip("\n"))
            ok = ok and m is not None and m.group(1).split(";")[0] == "prog-stacks"
            if m:
                total += int(m.group(2))
    check(ok, "collapsed lines are 'frames VALUE' under the command")
    check(total == im["allocated"], f"collapsed bytes sum to the allocated total: {total} {im['allocated']}")
    r = mstat("report", "--stacks", "--pid", str(im["pid"]), "--collapsed", coll + ".leaked",
              "--collapsed-metric", "leaked", os.path.join(tmp, "paths"))
    check(r.returncode == 0, f"report --stacks: {r.stderr}")
    check("one process" in r.stdout, "--pid: one process")
    line = src_line("prog-stacks.c", "return malloc(n);")
    check(re.search(rf"Leaks by allocation stack.*\n.*leak_leaf \(prog-stacks\.c:{line}\)", r.stdout),
          "text: leaks by stack name the leaking function and line")
    with open(coll + ".leaked") as fh:
        lk = fh.read()
    check("leak_middle;leak_leaf " in lk, "collapsed leaks: outermost first")

    # C++ at -O2: the inlined function and its caller, demangled, with lines.
    if os.path.exists(prog("prog-inline")):
        p, rep, _ = run_stacks(tmp, "inline", [prog("prog-inline")])
        x = exe_stacks(rep, "prog-inline") if rep else None
        row = None
        for r in (x["leaks"] if x else []):
            n = names(r)
            i = next((k for k, v in enumerate(n) if v.startswith("make_buffer")), None)
            if i is not None and i + 1 < len(n):
                row = (r["frames"][i], r["frames"][i + 1])
                break
        if check(row is not None, f"the inlined make_buffer is named: {x and [names(r) for r in x['leaks']]}"):
            inl, caller = row
            check(inl["inlined"] and inl["line"] == src_line("prog-inline.cc", "INLINE-ALLOC"),
                  f"make_buffer: inlined, at its new[]: {inl}")
            check(caller["function"].startswith("table::build_table(") and
                  caller["line"] == src_line("prog-inline.cc", "CALLER-LINE") and not caller["inlined"],
                  f"its caller, demangled, at the call: {caller}")

    # A library without symbols: module+offset, and the exported name from .dynsym.
    strip = shutil.which("strip")
    if strip:
        bare = os.path.join(tmp, "lib-bare.so")
        shutil.copy(lib, bare)
        subprocess.run([strip, "--strip-all", bare], check=True)
        p, rep, _ = run_stacks(tmp, "bare", [prog("prog-stacks"), bare])
        x = exe_stacks(rep, "prog-stacks") if rep else None
        row = next((r for r in (x["by_bytes"] if x else []) if any(
            n.startswith("lib-bare.so+0x") for n in names(r))), None)
        if check(row is not None, "the stripped module shows as module+offset"):
            check(names(row)[1] == "lib_stacks_outer", f"its exported function by name: {names(row)[:3]}")
        check(p.returncode == 0 and rep["read"]["problems"] == 0, "no error for missing symbols")

    # Sampled: scaled estimates, said so.
    p, rep, _ = run_stacks(tmp, "sampled", [prog("prog-stacks")], depth="16", sample="65536")
    x = exe_stacks(rep, "prog-stacks") if rep else None
    if check(x is not None and x["sample"] == 65536, "sampled: the sample size is reported"):
        h = find_row(x["by_bytes"], "heavy_site")
        l = find_row(x["by_bytes"], "light_site")
        check(h and 0.75 * 60e6 < h["bytes"] < 1.25 * 60e6, f"heavy site scaled to about 60 MB: {h and h['bytes']}")
        check(h and l and 2.2 < h["bytes"] / l["bytes"] < 3.8, "heavy and light in proportion 3:1")
    r = mstat("report", "--stacks", os.path.join(tmp, "sampled"))
    check("sampled, one stack every 65536 bytes" in r.stdout, "text: says it is sampled and scaled")


def case_selfcost(tmp):
    """With stacks on, what the preload does for itself (dlopen of
    libunwind, each thread's first unwind: its blocks, its TLS block, its
    mappings) is not the program's: every figure equals the run without
    stacks."""
    keys = ("allocations", "frees", "leaked_blocks", "live_blocks_end", "mmaps", "munmaps",
            "mremaps", "anon_peak", "reserved_peak", "unmatched_frees", "inherited_frees")
    for name, cmd in (("true", ["true"]), ("counts", [prog("prog-counts")]),
                      ("workers", [prog("prog-workers")])):
        got = {}
        for mode, e in (("plain", {}), ("stacks", {"MALLOC_STAT_BACKTRACE": "16"}),
                        ("sampled", {"MALLOC_STAT_BACKTRACE": "16", "MALLOC_STAT_SAMPLE": "4096"})):
            p, rep = run_json(tmp, f"{name}-{mode}", cmd, extra_env=e)
            check(p.returncode == 0 and rep is not None, f"{name} {mode}: {p.returncode} {p.stderr[-300:]}")
            if not rep:
                continue
            im = images(rep)[0]
            check(rep["read"]["problems"] == 0, f"{name} {mode}: problems {p.stderr[-300:]}")
            check(im["fini"] and im["fini"]["matches"], f"{name} {mode}: FINI agrees")
            got[mode] = {k: im[k] for k in keys}
            got[mode]["fini"] = {k: im["fini"][k] for k in ("allocations", "deallocations")}
            got[mode]["dominant"] = rep["commands"][0]["dominant"]
        for mode in ("stacks", "sampled"):
            check(got.get(mode) == got.get("plain"),
                  f"{name}: with {mode} as without: {got.get(mode)} against {got.get('plain')}")


def case_bench_symbols(tmp):
    """Benchmark: symbolizing the stacks of a real g++ -O2 compile (sampled
    every 4 KiB, 32 frames)."""
    src = os.path.join(tmp, "rx.cc")
    with open(src, "w") as f:
        f.write("#include <regex>\n#include <string>\n"
                "bool match(const std::string &s) { return std::regex_match(s, std::regex(\"a+b[0-9]*\")); }\n")
    e = {"MALLOC_STAT_BACKTRACE": "32", "MALLOC_STAT_SAMPLE": "4096", "DEBUGINFOD_URLS": ""}
    d = os.path.join(tmp, "gxx") + "/"
    p = mstat("run", "-o", d, "--output", os.devnull, "--", "g++", "-O2", "-c", src, "-o",
              os.path.join(tmp, "rx.o"), extra_env=e)
    check(p.returncode == 0, f"g++ under the preload: {p.stderr[-1000:]}")
    for args in ((), ("--stacks",)):
        r = mstat("report", "--stats", "--threads", "2", *args, "--output", os.devnull, d)
        print(("with --stacks: " if args else "without: ") + r.stderr.strip())
        check(r.returncode == 0, "report")


# ---- the command line ----

def case_cli(tmp):
    p = mstat("--help")
    check(p.returncode == 0 and "Usage" in p.stdout, "--help")
    for sub in ("run", "report", "merge"):
        p = mstat(sub, "--help")
        check(p.returncode == 0 and "Usage" in p.stdout, f"{sub} --help")
    check(mstat().returncode == 2, "no command: usage error")
    check(mstat("frob").returncode == 2, "unknown command: usage error")
    check(mstat("report").returncode == 2, "report without logs: usage error")
    check(mstat("report", "--top", "x", tmp).returncode == 2, "bad --top: usage error")
    check(mstat("run").returncode == 2, "run without a command: usage error")
    check(mstat("merge", tmp).returncode == 2, "merge without -o: usage error")
    # SIGTERM to run (a timeout, a CI job stopped) goes on to the command,
    # and run still reports: no orphan left running.
    p = subprocess.Popen([MSTAT, "run", "-o", os.path.join(tmp, "term") + "/", "--",
                          "sleep", "31.25"], stderr=subprocess.PIPE, text=True, env=env())
    time.sleep(0.5)
    p.terminate()
    try:
        err = p.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        err = ""
    check(p.returncode == 128 + 15 and "malloc-stat: 1 process, 1 image" in err,
          f"SIGTERM: passed on and reported: {p.returncode} {err[-300:]}")
    orphan = subprocess.run(["pgrep", "-f", "sleep 31.25"], capture_output=True)
    check(orphan.returncode != 0, "SIGTERM: the command did not outlive run")
    p = mstat("--version")
    check(p.returncode == 0 and p.stdout.startswith("malloc-stat "), "--version")

    # Exit status passes through, 128+N for a signal.
    d = os.path.join(tmp, "st")
    for i, (cmd, want) in enumerate(((["sh", "-c", "exit 3"], 3), (["true"], 0),
                                     (["sh", "-c", "kill -TERM $$"], 143))):
        p = mstat("run", "-o", f"{d}{i}/", "--", *cmd)
        check(p.returncode == want, f"{cmd}: exit {p.returncode}, want {want}")
    p = mstat("run", "-o", f"{d}x/", "--", "/nonexistent/program")
    check(p.returncode == 127, f"missing command: exit {p.returncode}, want 127")
    check("cannot run '/nonexistent/program'" in p.stderr, "missing command: says so")
    p = mstat("run", "--", "true", extra_env={"MALLOC_STAT_PRELOAD": "/nonexistent/ms.so"})
    check(p.returncode == 125, f"missing preload: exit {p.returncode}, want 125")
    check("MALLOC_STAT_PRELOAD" in p.stderr, "missing preload: says which")

    # LD_PRELOAD is appended to, never replaced; the prefix is absolute; a
    # fresh directory by default, named in the report.
    p = mstat("run", "--", "sh", "-c", 'printf "%s|%s" "$LD_PRELOAD" "$MALLOC_STAT_PREFIX"',
              extra_env={"LD_PRELOAD": "libm.so.6", "TMPDIR": tmp})
    pre, _, prefix = p.stdout.partition("|")
    check(pre.startswith("libm.so.6:") and pre.endswith("malloc-stat.so"), f"LD_PRELOAD {pre!r}")
    check(prefix.startswith(tmp + "/malloc-stat.") and prefix.endswith("/log"), f"prefix {prefix!r}")
    check(f"logs in {os.path.dirname(prefix)}" in p.stderr, "the report says where the logs are")
    # A relative -o is made absolute; old logs under a prefix are refused.
    p = mstat("run", "-o", "rel", "--", "true", cwd=tmp)
    check(p.returncode == 0 and any(f.startswith("rel.") for f in os.listdir(tmp)), "relative -o")
    p = mstat("run", "-o", "rel", "--", "true", cwd=tmp)
    check(p.returncode == 125 and "exist already" in p.stderr, "old logs are not mixed in")
    # The report of run goes to stderr: the command keeps stdout.
    p = mstat("run", "-o", os.path.join(tmp, "out") + "/", "--", "sh", "-c", "echo hello")
    check(p.stdout == "hello\n", f"stdout is the command's: {p.stdout!r}")
    check("Process tree" in p.stderr, "the report is on stderr")


def case_make(tmp):
    if not shutil.which("make") or not shutil.which("cc"):
        print("SKIP: make or cc missing")
        sys.exit(77)
    # Built from the source tree into a fresh object directory: whatever
    # was built before, here or in the tree, there is all to do.
    work = os.path.join(SRC, "examples", "wordfreq")
    obj = "O=" + os.path.join(tmp, "wordfreq")
    p, rep = run_json(tmp, "make", ["make", "-j2", "-C", work, obj])
    check(p.returncode == 0, f"make -j2: exit {p.returncode}: {p.stderr[-2000:]}")
    if not check(rep is not None, "no JSON report"):
        return
    cmds = {c["name"]: c for c in rep["commands"]}
    for name, count in (("make", 1), ("cc1", 5), ("as", 5), ("collect2", 1), ("ld", 1)):
        check(name in cmds and cmds[name]["count"] == count,
              f"{name} x {cmds.get(name, {}).get('count')}, want {count}")
    check("cc" in cmds and "sh" in cmds, "cc and sh are there too")
    ids = by_id(rep)
    roots = [im for im in images(rep) if im["parent"] is None]
    check(len(roots) == 1 and roots[0]["command"] == "make", "one root: make")
    for im in images(rep):
        a, seen = im, 0
        while a["parent"] is not None and seen < 100:
            a, seen = ids[a["parent"]], seen + 1
        check(a is roots[0], f"{im['command']} [{im['pid']}] descends from make")
    cc1 = [im for im in images(rep) if im["command"] == "cc1"]
    check(all(ids[im["parent"]]["command"] == "cc" for im in cc1), "cc1 runs under cc")
    check(all(im["fini"] and im["fini"]["matches"] for im in images(rep) if im["fini"]),
          "every FINI agrees with its entries")
    check(rep["heap"]["peak_bytes"] >= max(c["peak_max"] for c in rep["commands"]) * 0.5,
          "the tree peak is at least the biggest process's own blocks")
    check(rep["read"]["problems"] == 0, f"problems: {rep['read']['problems']}")
    # A failing command's status passes through too.
    p = mstat("run", "-o", os.path.join(tmp, "fail") + "/", "--", "make", "-C", work, obj,
              "no-such-target")
    check(p.returncode == 2, f"failing make: exit {p.returncode}, want 2")
    check("exited with status 2" in p.stderr, "says the status")
    # Reading on one thread or two gives the same report.
    a = mstat("report", "--json", "--threads", "1", os.path.join(tmp, "make"))
    b = mstat("report", "--json", "--threads", "2", os.path.join(tmp, "make"))
    ja, jb = json.loads(a.stdout), json.loads(b.stdout)
    for j in (ja, jb):
        j.pop("read")
    check(ja == jb, "one thread and two threads agree")


# ---- bad input ----

def log_files(d):
    """The logs `run` wrote into d, without its PREFIX.nolog."""
    return sorted(f for f in os.listdir(d) if not f.endswith(".nolog"))


def log_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")


def case_badinput(tmp):
    p, rep = run_json(tmp, "good", [prog("prog-counts")], mode="events")
    src = os.path.join(tmp, "good", log_files(os.path.join(tmp, "good"))[0])
    with open(src, "rb") as f:
        good = f.read()
    d = os.path.join(tmp, "bad")
    os.mkdir(d)

    def put(name, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        return os.path.join(d, name)

    lines = good.split(b"\n")
    body = [i for i, l in enumerate(lines) if l.startswith(b"+ malloc")]

    def variant(n, data):
        """The same log as another process: PID, START and FILE changed."""
        return re.sub(rb"# (PID|START|FILE) ", lambda m: m.group(0) + str(n).encode(), data, count=3)

    put("log.1.1.0", good)
    put("log.2.1.0", variant(2, good) + b"\0" * 8192)
    cut = good[:good.index(lines[body[40]] + b"\n") + 12]             # mid-line
    tr = put("log.3.1.0", variant(3, cut))
    ln = list(lines)
    ln[body[70]] = b"+ FROB 1 0x2 3"                                  # unknown type
    ln[body[71]] = b"+ malloc zz 0x10 24"                             # corrupt
    ln.insert(2, b"# FUTURE-KEY something")                           # unknown header key
    mixed = put("log.4.1.0", variant(4, b"\n".join(ln)))
    foreign = put("notes.txt", b"hello, world\n")
    empty = put("log.5.1.0", b"")
    v2 = put("log.6.1.0", b"# MALLOC-STAT-LOG 2\n# PID 6\n")
    zeros = put("log.7.1.0", b"\0" * 4096)
    r = mstat("report", "--json", d)
    check(r.returncode == 0, f"a report of everything readable: exit {r.returncode}")
    err = r.stderr
    ncut = cut.count(b"\n") + 1
    check(f"malloc-stat: {tr}:{ncut}: last line cut short" in err,
          "truncated: file and line named")
    check(f"malloc-stat: {mixed}:{body[70] + 2}: unknown entry type 'FROB' skipped" in err,
          "unknown type: file and line named")
    check(f"malloc-stat: {mixed}:{body[71] + 2}: bad malloc entry" in err, "corrupt line named")
    check(f"malloc-stat: {mixed}:3: unknown header key 'FUTURE-KEY' ignored" in err, "unknown header key")
    check(f"malloc-stat: {foreign}:1: not a malloc-stat log" in err, "foreign file named")
    check(f"malloc-stat: 2 empty logs (processes that ended before writing their first line" in err
          and (f"such as {empty}" in err or f"such as {zeros}" in err),
          "empty and all-NUL files: counted in one line, one named")
    check(f"malloc-stat: {v2}:1: log format version 2 is not supported" in err, "newer version named")
    for l in err.splitlines():
        check(l.startswith("malloc-stat: ") and not l.endswith("."), f"message style: {l}")
    try:
        j = json.loads(r.stdout)
    except ValueError:
        check(False, "JSON parses")
        return
    want = images(rep)[0]
    ims = {}
    for im in images(j):
        ims[im["pid"]] = im
    pid = lambda n: int(str(n) + str(want["pid"]))
    check(set(ims) == {want["pid"], pid(2), pid(3), pid(4)},
          f"the four readable logs are reported: {sorted(ims)}")
    z = ims.get(pid(2))
    check(z and z["allocations"] == 114 and z["problems"] == 0, "trailing NULs: read as the original")
    t = ims.get(pid(3))
    check(t and 40 <= t["allocations"] < 114, "truncated: the whole lines before the cut are read")
    m = ims.get(pid(4))
    check(m and m["allocations"] == 112 and m["problems"] == 4,
          f"mixed: 2 entries skipped, 4 problems: {m and (m['allocations'], m['problems'])}")
    check(f"{mixed}:" in err and "FINI counters differ from the entries" in err,
          "the skipped entries show in FINI's counters")
    check(j["read"]["not_logs"] == 4, f"not logs: {j['read']['not_logs']}")
    check(j["read"]["empty"] == 2 and j["read"]["problems"] == 4 + 1 + 1 + 1,
          f"empty logs are not problems (mixed 4, cut 1, foreign 1, v2 1): {j['read']}")
    # A NUL in the middle of a log (a damaged copy) is said, and the log is
    # read past it; a killed writer's zeros are not damage.
    hole = bytearray(good)
    at = good.index(lines[body[50]] + b"\n")
    hole[at] = 0
    d2 = os.path.join(tmp, "hole")
    os.mkdir(d2)
    with open(os.path.join(d2, "log.1.1.0"), "wb") as f:
        f.write(bytes(hole))
    r = mstat("report", "--json", d2)
    hl = os.path.join(d2, "log.1.1.0")
    check(f"malloc-stat: {hl}:{body[50] + 1}: NUL bytes inside the log" in r.stderr,
          f"NUL mid-file: file and line named: {r.stderr}")
    hj = json.loads(r.stdout) if r.returncode == 0 else None
    hi = hj and images(hj)[0]
    check(hi and hi["allocations"] == 113 and hi["end"] == want["end"],
          f"NUL mid-file: the rest is read: {hi and (hi['allocations'], hi['end'])}")
    # Not regular files: a pipe and a FIFO are read whole.
    r = subprocess.run(["/bin/sh", "-c", 'cat "$1" | "$2" report --json /dev/stdin', "sh", src,
                        MSTAT], capture_output=True, text=True, env=env(), timeout=60)
    pj = json.loads(r.stdout) if r.returncode == 0 else None
    check(pj and images(pj)[0]["allocations"] == 114,
          f"a pipe: read whole: {r.returncode} {r.stderr}")
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["/bin/sh", "-c", 'cat "$1" > "$2"', "sh", src, fifo])
    r = mstat("report", "--json", fifo, timeout=60)
    feeder.wait()
    fj = json.loads(r.stdout) if r.returncode == 0 else None
    check(fj and images(fj)[0]["allocations"] == 114, f"a FIFO: read whole: {r.stderr}")
    # One input missing (a directory name with its slash) leaves the rest.
    gone = os.path.join(tmp, "gone") + "/"
    r = mstat("report", "--json", d2, gone)
    check(r.returncode == 0 and f"malloc-stat: cannot open '{gone}'" in r.stderr,
          f"missing DIR/: named, the rest reported: {r.returncode} {r.stderr}")
    # A version line alone is nothing to read, not a process; a renamed
    # copy of a log is left out in favour of the original.
    d3 = os.path.join(tmp, "dups")
    os.mkdir(d3)
    name = os.path.basename(src)
    shutil.copy(src, os.path.join(d3, name))
    shutil.copy(src, os.path.join(d3, "a-copy"))
    with open(os.path.join(d3, "log.9.1.0"), "wb") as f:
        f.write(b"# MALLOC-STAT-LOG 1\n")
    r = mstat("report", "--json", d3)
    dj = json.loads(r.stdout) if r.returncode == 0 else None
    check(dj and dj["totals"]["processes"] == 1 and images(dj)[0]["file"].endswith(name),
          f"the original kept, no phantom process: {dj and (dj['totals']['processes'], images(dj)[0]['file'])}")
    check(f"{os.path.join(d3, 'a-copy')}: same log as" in r.stderr, "the copy named as left out")
    check(f"{os.path.join(d3, 'log.9.1.0')}:1: header without PID and no entries" in r.stderr,
          "a version line alone: named")
    # Nothing readable: exit 1 with a reason.
    os.mkdir(os.path.join(tmp, "void"))
    r = mstat("report", os.path.join(tmp, "void"))
    check(r.returncode == 1 and "no log files" in r.stderr, f"empty directory: {r.returncode} {r.stderr}")
    r = mstat("report", os.path.join(tmp, "nothing-here"))
    check(r.returncode == 1 and "cannot open" in r.stderr, "missing input")
    r = mstat("report", foreign)
    check(r.returncode == 1 and "not a malloc-stat log" in r.stderr, "only a foreign file")


def case_impossible(tmp):
    """Impossible input in a real log: each named as FILE:LINE: reason, and
    no figure in the report negative or absurd."""
    p, rep = run_json(tmp, "good", [prog("prog-counts")], mode="events")
    src = os.path.join(tmp, "good", log_files(os.path.join(tmp, "good"))[0])
    lines = log_lines(src)
    at = lambda prefix: next(i for i, l in enumerate(lines) if l.startswith(prefix))
    free_i, rr_i, t_i, fini_i = at(b"+ free "), at(b"+ realloc-realloc "), at(b"+ TIME "), at(b"+ FINI ")
    last_malloc = max(i for i, l in enumerate(lines) if l.startswith(b"+ malloc "))
    t = int(lines[t_i].split()[2])
    leak = int(lines[last_malloc].split()[3], 16)     # p[99], never freed
    fini = lines[fini_i].decode()

    def change(i, new):
        return lines[:i] + [new] + lines[i + 1:], i

    def insert(i, *new):
        return lines[:i] + list(new) + lines[i:], i

    f = lines[free_i].split()
    rr = lines[rr_i].split()
    cases = {
        "free-size": (change(free_i, b"+ free 1000000 " + f[3]), "free of 1000000 bytes of a block of"),
        "realloc-unknown": (change(rr_i, b" ".join(rr[:5] + [b"0xdead0"] + rr[6:])),
                            "free of a block never allocated"),
        "inherited-body": (insert(last_malloc, b"# INHERITED 96"), "header line INHERITED among the entries ignored"),
        "inherited-image": (insert(3, b"# INHERITED 96"), "INHERITED in a log that is no fork child's"),
        "time-far": (change(t_i, b"+ TIME 9000000000000000000 0x0"), "implausible TIME"),
        "time-back": (insert(t_i + 2, b"+ TIME %d 0x0" % (t - 5_000_000), b"-"), "TIME goes backwards"),
        "rss-pib": (insert(t_i + 2, b"+ RSS 1125899906842624 0x0 0", b"-"), "implausible RSS skipped"),
        "overlap": (insert(last_malloc + 2, b"+ malloc 100 0x%x 104" % (leak + 16), b"-"),
                    "allocation overlaps a block still live"),
        "mmap-wrap": (insert(t_i + 2, b"+ mmap 8192 0xfffffffffffff000 3 0x22", b"-"),
                      "mapping beyond the address space skipped"),
        "fini-negative": (change(fini_i, fini.replace("allocations=114", "allocations=-1").encode()),
                          "FINI allocations is impossible"),
        "fini-differs": (change(fini_i, re.sub(r"deallocated=(\d+)", lambda m: "deallocated=%d" % (int(m.group(1)) + 1),
                                               fini).encode()), "FINI counters differ from the entries: deallocated "),
    }

    def absurd(v, path="$"):
        """Paths of figures below zero or beyond 2^60 in a JSON value."""
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return []
        if isinstance(v, (int, float)):
            return [f"{path}={v}"] if v < 0 or v > 1 << 60 else []
        items = v.items() if isinstance(v, dict) else enumerate(v)
        return [x for k, w in items if k not in ("wall_start_ns", "start_ns") for x in absurd(w, f"{path}.{k}")]

    for name, ((ml, i), reason) in cases.items():
        d = os.path.join(tmp, name)
        os.mkdir(d)
        path = os.path.join(d, os.path.basename(src))
        with open(path, "wb") as fh:
            fh.write(b"\n".join(ml))
        r = mstat("report", "--json", d)
        check(r.returncode == 0, f"{name}: report {r.returncode} {r.stderr}")
        check(f"malloc-stat: {path}:{i + 1}: {reason}" in r.stderr,
              f"{name}: want line {i + 1}: {reason}: got {r.stderr.strip()}")
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        bad = absurd({k: v for k, v in j.items() if k not in ("inputs", "read", "problems")})
        check(not bad, f"{name}: absurd figures: {bad[:5]}")
        check(j and j["heap"]["duration"] < 3600, f"{name}: a trace of {j and j['heap']['duration']} s")
        tx = mstat("report", d).stdout
        neg = re.findall(r"(?<![\w.])-\d[\d.]* ?(?:B|KiB|MiB|GiB|k|M)?\b", tx)
        check(not neg, f"{name}: negative figures in the text: {neg[:5]}")
        if name == "fini-negative":
            check(images(j)[0]["fini"] is None, f"unreadable FINI counters: null: {images(j)[0]['fini']}")
        if name == "fini-differs":
            check("logged " in r.stderr and "allocations 114" not in r.stderr, f"names deallocated: {r.stderr}")
    # A summary's: a header TIME damaged (the image still has its ticks:
    # it keeps its place on the time axis, the tree's figures are not 0),
    # and frees of unknown blocks of 2^63 bytes in the body (named, not
    # reported as freed).
    p, rep = run_json(tmp, "sgood", [prog("prog-counts")], mode="summary")
    src = os.path.join(tmp, "sgood", log_files(os.path.join(tmp, "sgood"))[0])
    data = open(src, "rb").read()
    ti = data.index(b"\n# TIME ") + 8
    body = int(data[32:40], 16) * 64
    word = lambda at, v: data[:body + at] + v.to_bytes(8, "little") + data[body + at + 8:]
    for name, new in (("stime", data[:ti] + b"x" + data[ti + 1:]),
                      ("sunknown", word(56, 1 << 63)),
                      ("sallocs", word(64, (1 << 64) - 1)),
                      ("stimeline", word(24, 1 << 40))):
        d = os.path.join(tmp, name)
        os.mkdir(d)
        with open(os.path.join(d, os.path.basename(src)), "wb") as f:
            f.write(new)
        r = mstat("report", "--json", d)
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        ims = images(j) if j else []
        if not check(len(ims) == 1, f"{name}: exit {r.returncode}: {r.stderr[-300:]}"):
            continue
        bad = absurd({k: v for k, v in j.items() if k not in ("inputs", "read", "problems")})
        check(not bad, f"{name}: absurd figures: {bad[:5]}")
        if name in ("stime", "stimeline"):
            check(j["heap"]["peak_bytes"] >= ims[0]["live_bytes_end"] and
                  (name == "stimeline" or ims[0]["live_bytes_end"] > 0) and
                  j["heap"]["max_alive"] == 1, f"{name}: tree peak {j['heap']['peak_bytes']}, "
                  f"alive {j['heap']['max_alive']}, live {ims[0]['live_bytes_end']}")
        else:  # sunknown, sallocs
            check(j["read"]["problems"] >= 1 and "impossible summary counters" in r.stderr and
                  ims[0]["unmatched_frees"] + ims[0]["inherited_freed"] <= ims[0]["freed"],
                  f"{name}: {r.stderr[-300:]} {ims[0]['inherited_freed']}")


def case_merge(tmp):
    static = prog("prog-static")
    cmd = [prog("prog-tree"), "root"] + ([static] if os.path.exists(static) else [])
    p, rep = run_json(tmp, "t", cmd, mode="events")
    out = os.path.join(tmp, "merged.mslog")
    m = mstat("merge", os.path.join(tmp, "t"), "-o", out)
    check(m.returncode == 0 and os.path.exists(out), f"merge: {m.returncode} {m.stderr}")
    with open(out, "rb") as f:
        data = f.read()
    check(data.startswith(b"# MALLOC-STAT-MERGE 1\n"), "merged file magic")
    r = mstat("report", "--json", out)
    check(r.returncode == 0, f"report of the merged file: {r.returncode} {r.stderr}")
    a = json.loads(r.stdout)
    b = mstat("report", "--json", os.path.join(tmp, "t"))
    b = json.loads(b.stdout)
    for k in ("totals", "commands", "heap"):
        check(a[k] == b[k], f"merged and per-file reports agree on {k}")
    strip = lambda ims: [{k: v for k, v in im.items() if k != "file"} for im in ims]
    check(strip(a["images"]) == strip(b["images"]), "merged and per-file images agree")
    # A problem inside a segment is named by its line in the merged file.
    lines = data.split(b"\n")
    i = next(i for i, l in enumerate(lines) if l.startswith(b"+ malloc"))
    lines[i] = b"+ malloc bad 0x1 1"
    bad = os.path.join(tmp, "bad.mslog")
    with open(bad, "wb") as f:
        f.write(b"\n".join(lines))
    r = mstat("report", bad)
    check(f"malloc-stat: {bad}:{i + 1}: bad malloc entry" in r.stderr,
          f"line in the merged file: want {i + 1}: {r.stderr}")
    # Given twice (the directory and its merged file), logs count once.
    r = mstat("report", "--json", os.path.join(tmp, "t"), out)
    j = json.loads(r.stdout)
    check(j["totals"] == b["totals"], "duplicates left out")
    check("same log as" in r.stderr, "duplicates named")


def case_hosts(tmp):
    """Logs of two machines reported together: the same run's logs again
    under another BOOT and HOST (same pids, starts and file names) are other
    processes, and no parent link crosses from one boot to the other."""
    static = prog("prog-static")
    cmd = [prog("prog-tree"), "root"] + ([static] if os.path.exists(static) else [])
    p, one = run_json(tmp, "a", cmd, mode="events")
    if not check(one is not None, f"no JSON report: {p.stderr}"):
        return
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    host = subprocess.run(["uname", "-n"], capture_output=True, text=True).stdout.rstrip("\n")
    other = "other-" + host
    os.mkdir(b)
    for name in log_files(a):
        lines = log_lines(os.path.join(a, name))
        for i, l in enumerate(lines):
            if l.startswith(b"# BOOT "):
                lines[i] = b"# BOOT 00000000-1111-2222-3333-444444444444"
            elif l.startswith(b"# HOST "):
                lines[i] = b"# HOST " + other.encode()
        with open(os.path.join(b, name), "wb") as f:
            f.write(b"\n".join(lines))
    check(one["totals"].get("hosts") == 1, f"one run: hosts {one['totals'].get('hosts')}")
    check({im.get("host") for im in images(one)} == {host}, "one run: host is uname -n")
    r = mstat("report", "--json", a, b)
    if not check(r.returncode == 0, f"report of both: {r.returncode} {r.stderr}"):
        return
    two = json.loads(r.stdout)
    check("same log as" not in r.stderr, f"no log taken for a duplicate: {r.stderr}")
    check(two["totals"].get("hosts") == 2, f"hosts {two['totals'].get('hosts')}, want 2")
    for k in ("processes", "images", "allocations", "untraced_parents"):
        check(two["totals"][k] == 2 * one["totals"][k],
              f"{k}: {two['totals'][k]}, want twice {one['totals'][k]}")
    ids = by_id(two)
    cross = [im["id"] for im in two["images"]
             if im["parent"] is not None and ids[im["parent"]].get("host") != im.get("host")]
    check(cross == [], f"parent links across the two boots: {cross}")
    shape = lambda rep, h: sorted((im["relation"], im["virtual"], im["argv"][1:2] if "argv" in im else None)
                                  for im in rep["images"] if im.get("host") == h)
    check(shape(two, host) == shape(one, host) and shape(two, other) == shape(one, host),
          "each boot has the tree of the one run")
    t = mstat("report", a, b)
    check(" on 2 hosts" in t.stdout.splitlines()[0], f"text header: {t.stdout.splitlines()[:1]}")
    check(f" on {other}]" in t.stdout, "text names the host beside the commands")
    # Logs of an older writer (no HOST, no BOOT) are one unnamed boot.
    c = os.path.join(tmp, "c")
    os.mkdir(c)
    for name in log_files(a):
        lines = [l for l in log_lines(os.path.join(a, name))
                 if not l.startswith((b"# BOOT ", b"# HOST "))]
        with open(os.path.join(c, name), "wb") as f:
            f.write(b"\n".join(lines))
    r = mstat("report", "--json", c)
    old = json.loads(r.stdout) if r.returncode == 0 else None
    if check(old, f"report of logs without BOOT: {r.stderr}"):
        check(old["totals"].get("hosts") == 1 and old["totals"]["processes"] == one["totals"]["processes"],
              f"without BOOT: {old['totals'].get('hosts')} hosts, {old['totals']['processes']} processes")
        check({im.get("host") for im in old["images"]} == {None}, "without HOST: host null")


def case_stream(tmp):
    """The seed's single stream (fd 1022): the same tree read from the
    stream and from per-process files gives the same figures."""
    cmd = [prog("prog-tree"), "root"]
    p, files = run_json(tmp, "files", cmd)
    stream = os.path.join(tmp, "stream.log")
    fd = os.open(stream, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1022)
    os.close(fd)
    e = env()
    e["LD_PRELOAD"] = os.environ["PRELOAD"]
    try:
        r = subprocess.run(cmd, env=e, pass_fds=(1022,), capture_output=True, timeout=60)
    finally:
        os.close(1022)
    check(r.returncode == p.returncode, f"exit status {r.returncode} under the stream, "
          f"{p.returncode} with files")
    out = os.path.join(tmp, "stream.json")
    q = mstat("report", "--json", "--output", out, stream)
    if not check(q.returncode == 0 and os.path.exists(out), f"report of the stream: {q.stderr}"):
        return
    with open(out) as f:
        srep = json.load(f)

    def summary(rep):
        return sorted((os.path.basename(im["argv"][0]) if im["argv"] else "", im["relation"],
                       im["allocations"], im["frees"], im["leaked_blocks"], im["end"])
                      for im in images(rep))

    if not check(files is not None, "no JSON report from the files"):
        return
    check(len(images(srep)) >= 5, f"{len(images(srep))} images in the stream, want 5 or more")
    # The stream is written in batches: the child killed by SIGKILL loses
    # its last batch (README, Limits), which may hold its header too or
    # only its allocation; per-process files keep everything.
    fdied = [s for s in summary(files) if s[5] == "died"]
    sdied = [s for s in summary(srep) if s[5] == "died"]
    check(len(fdied) == 1 and fdied[0][2] == 1, f"the files show the killed child: {fdied}")
    check(len(sdied) <= 1 and all(s[1] == "fork" and s[2] <= 1 for s in sdied),
          f"the stream shows at most what the files show of the killed child: {sdied}")
    want = [s for s in summary(files) if s[5] != "died"]
    got = [s for s in summary(srep) if s[5] != "died"]
    check(got == want, f"stream and files disagree:\n{got}\n{want}")
    check(srep["read"]["problems"] == 0, f"problems reading the stream: {q.stderr}")
    # A stream cut in the middle of a batch: what is whole is still read.
    with open(stream, "rb") as f:
        data = f.read()
    cut = os.path.join(tmp, "cut.log")
    n = len(data) * 2 // 3
    # Inside a line: a cut at a line's end inside a header reads as a
    # process that ended there, which no reader can tell apart. Where that
    # falls depends on the paths and pids in the headers.
    while data[n - 1:n] == b"\n":
        n -= 1
    with open(cut, "wb") as f:
        f.write(data[:n])
    c = mstat("report", cut)
    check(c.returncode == 0, f"report of a cut stream: {c.stderr}")
    check("(pid " in c.stderr or "cut short" in c.stderr or "not closed" in c.stderr,
          f"a cut stream names the image: {c.stderr}")


def case_html(tmp):
    """The HTML page as a person sees it, in headless Chromium driven over the
    DevTools protocol (cdp.py): the chart drawn with data, zoom, a table
    sorted by a click, a process's own curve, flame graphs named after the
    probe's functions, a narrow window, 10,000 processes."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cdp
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    page = os.path.join(tmp, "report.html")
    lib = prog("lib-stacks.so")
    script = f"{prog('prog-tree')} root; {prog('prog-stacks')} {lib}; {prog('prog-mmap')}"
    p = mstat("run", "-o", os.path.join(tmp, "t") + "/", "--html", page, "--", "sh", "-c", script,
              extra_env={"MALLOC_STAT_BACKTRACE": "32", "DEBUGINFOD_URLS": ""})
    check(p.returncode == 0 and os.path.exists(page), f"HTML written: {p.returncode} {p.stderr[-500:]}")
    with open(page) as f:
        html = f.read()
    check(not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", html), "no network resources")
    check("<script id=data" in html and "function table(" in html, "data and script inlined")
    r = mstat("report", "--json", os.path.join(tmp, "t"))
    rep = json.loads(r.stdout)
    sampled = os.path.join(tmp, "sampled.html")
    p = mstat("run", "-o", os.path.join(tmp, "s") + "/", "--html", sampled, "--", prog("prog-stacks"),
              extra_env={"MALLOC_STAT_BACKTRACE": "16", "MALLOC_STAT_SAMPLE": "65536", "DEBUGINFOD_URLS": ""})
    check(p.returncode == 0, f"sampled HTML: {p.stderr[-300:]}")
    # 10,000 processes: what the page weighs.
    big = os.path.join(tmp, "big")
    os.mkdir(big)
    hdr = ("# MALLOC-STAT-LOG 1\n# PID {pid}\n# PPID 100\n# START {start}\n# PSTART 1000\n"
           "# TIME 1700000000000000000 {t}\n# ORIGIN image\n# FILE log.{pid}.{e}.0\n"
           "# CMDLINE {cmd}\n+ INIT 0 0x0\n-\n+ TIME {t} 0x0\n-\n")
    n, t0 = 10000, 10_000_000_000
    with open(os.path.join(big, "log.100.0.0"), "w") as f:
        f.write(hdr.replace("PPID 100", "PPID 1").replace("PSTART 1000", "PSTART 1").format(
            pid=100, start=1000, t=t0, e=0, cmd="make -j8"))
        f.write(f"+ malloc 100000 0x1000 100008\n-\n+ TIME {t0 + n * 2_000_000 + 40_000_000} 0x0\n-\n")
    for i in range(n):
        t = t0 + i * 2_000_000
        cmd = ("cc1 -quiet -imultiarch x86_64-linux-gnu src/m%d/f%d.c -dumpbase f%d.c -O2 -g -o /tmp/cc%d.s"
               % (i, i, i, i)) if i % 2 else "as --64 -o f%d.o /tmp/cc%d.s" % (i, i)
        with open(os.path.join(big, f"log.{200 + i % 30000}.{i}.0"), "w") as f:
            f.write(hdr.format(pid=200 + i % 30000, start=t // 10_000_000, t=t, e=i, cmd=cmd))
            for k in range(1, 9):
                f.write(f"+ TIME {t + k * 4_000_000} 0x0\n-\n+ malloc {k * 1000 + i} 0x{k:x}000 {k * 1000 + i + 8}\n-\n")
            if i % 7:
                f.write("".join(f"+ free {k * 1000 + i + 8} 0x{k:x}000\n-\n" for k in range(1, 9)))
    bigpage = os.path.join(tmp, "big.html")
    r = mstat("report", "--html", bigpage, "--output", os.devnull, big)
    check(r.returncode == 0, f"10,000 processes: {r.stderr[-300:]}")
    weight = os.path.getsize(bigpage)
    print(f"page weight for {n + 1} processes: {weight / 1e6:.2f} MB")
    check(weight < 6e6, f"10,000 processes in less than 6 MB: {weight}")
    if not chrome:
        print("SKIP: chromium is not installed (apt-get install chromium)")
        sys.exit(77 if not failures else 1)

    br = cdp.Browser(chrome, profile=tempfile.mkdtemp(dir=tmp), width=1280, height=900)
    try:
        br.open("file://" + page)
        check(br.js("document.body.dataset.ready") == "1", "the script ran to its end")
        # The chart, drawn with data: a step line over many points that
        # leaves the axis, the peak marked, every curve, and coloured pixels.
        g = br.js("""(() => { const s = document.getElementById('heap-chart');
            const h = document.getElementById('heap-line'), ys = new Set(h.getAttribute('d').split('L').map(p => p.trim().split(' ')[1]));
            const tall = Math.max(...[...s.querySelectorAll('path')].map(p => p.getBBox().height));
            return { w: s.getBoundingClientRect().width, n: h.getAttribute('d').split('L').length, levels: ys.size, tall: tall,
                     peak: !!document.getElementById('heap-peak'),
                     curves: ['anon-line', 'rss-line', 'total-area'].filter(i => document.getElementById(i)) }; })()""")
        # Points follow 4 ms bins: a quick run of the example has about 20.
        check(g["n"] >= 10 and g["levels"] > 3 and g["tall"] > 100, f"the curves have data: {g}")
        check(g["peak"], "the heap's peak is marked")
        check(g["curves"] == ["anon-line", "rss-line", "total-area"], f"heap + anon and resident drawn: {g['curves']}")
        check(1100 <= g["w"] <= 1280, f"the chart spans the page at 1280 px: {g['w']}")
        png = br.screenshot("#chart-box", os.path.join(tmp, "chart.png"))
        w, h, px = cdp.png_pixels(png)
        blue = sum(1 for row in px for (r_, g_, b_) in row if b_ > r_ + 30 and b_ > g_ + 8)
        green = sum(1 for row in px for (r_, g_, b_) in row if g_ > r_ + 40 and g_ > b_ + 20)
        check(blue > 300 and green > 100, f"the screenshot shows the heap (blue {blue}) and resident (green {green})")
        x, y = br.center("#heap-chart")
        br.mouse("mouseMoved", x, y, button="none")
        check("processes alive" in br.js("document.getElementById('readout').textContent"),
              "hovering the chart reads out the curves")
        # Zoom on a range by dragging: the range is named, the processes
        # alive in it listed.
        left = br.js("document.getElementById('heap-chart').getBoundingClientRect().left")
        x, y = br.center("#heap-chart")
        before = br.js("document.querySelectorAll('#alive-table tbody tr').length")
        br.drag(left + 80, y, left + 200, y)
        rng = br.js("document.getElementById('range').textContent")
        check(" to " in rng and not br.js("document.getElementById('zoom-reset').disabled"),
              f"dragging zooms: {rng}")
        after = br.js("document.querySelectorAll('#alive-table tbody tr').length")
        check(0 <= after <= before, f"processes alive in the range: {after} of {before}")
        br.click("#zoom-reset")
        check("whole run" in br.js("document.getElementById('range').textContent"), "zoom reset")
        br.click("#summary")
        br.drag(left + 100, y, left + 300, y)
        rng = br.js("document.getElementById('range').textContent")
        check(" to " in rng, f"a click elsewhere, then a drag zooms again: {rng}")
        br.click("#zoom-out")
        wider = br.js("document.getElementById('range').textContent")
        check(wider != rng, f"zoom out widens the range: {rng} then {wider}")
        br.click("#zoom-reset")
        # Sort by a click on a header: descending, then ascending.
        col = br.js("[...document.querySelectorAll('#procs-table th')].findIndex(t => t.textContent.startsWith('pid'))") + 1
        br.click(f"#procs-table th:nth-child({col})")
        vals = lambda c: br.js(f"[...document.querySelectorAll('#procs-table tbody td:nth-child({c})')].map(t => +t.dataset.v)")
        v = vals(col)
        check(len(v) >= 5 and v == sorted(v, reverse=True), f"sorted by pid, descending: {v}")
        check(br.js(f"document.querySelector('#procs-table th:nth-child({col})').getAttribute('aria-sort')") == "descending",
              "the header says how it sorts")
        br.screenshot("#procs", os.path.join(tmp, "table.png"))
        br.click(f"#procs-table th:nth-child({col})")
        v = vals(col)
        check(v == sorted(v), f"a second click sorts ascending: {v}")
        br.js(f"document.querySelector('#procs-table th:nth-child({col})').focus()")
        br.send("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter", windowsVirtualKeyCode=13)
        br.send("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter", windowsVirtualKeyCode=13)
        v = vals(col)
        check(v == sorted(v, reverse=True), f"Enter on the focused header sorts too: {v}")
        lk = br.js("[...document.querySelectorAll('#leaks-table tbody td:nth-child(1)')].map(t => +t.dataset.v)")
        check(lk and lk == sorted(lk, reverse=True), f"leaks, largest first: {lk}")
        # Filter: only that command left.
        br.type("#procs input[type=search]", "prog-mmap")
        ci = br.js("[...document.querySelectorAll('#procs-table th')].findIndex(t => t.textContent.startsWith('command'))")
        cmds = br.js(f"[...document.querySelectorAll('#procs-table tbody tr')].map(r => r.children[{ci}].textContent)")
        check(cmds == ["prog-mmap"], f"filtered to prog-mmap: {cmds}")
        # Click a process: its own curve and figures.
        br.click("#procs-table tbody tr")
        pr = br.js("""(() => { const p = document.getElementById('proc');
            return { hidden: p.hidden, title: p.querySelector('h3').textContent,
                     curve: !!document.getElementById('proc-heap-line'), text: p.textContent }; })()""")
        mm = [im for im in images(rep) if im["command"] == "prog-mmap"][0]
        check(not pr["hidden"] and f"prog-mmap [{mm['pid']}]" in pr["title"], f"the process panel: {pr['title']}")
        check(pr["curve"] and "anon mmap peak" in pr["text"] and "resident peak" in pr["text"],
              f"its curve and its figures: {pr['text'][:300]}")
        # Flame graphs: the probe's functions by name, widths in proportion.
        opts = br.js("[...document.querySelectorAll('#flame-exe option')].map(o => o.textContent)")
        idx = next((i for i, o in enumerate(opts) if o.startswith("prog-stacks")), None)
        check(opts and opts[0] == "whole tree" and idx is not None, f"executables to choose: {opts}")
        frames = lambda: br.js("""[...document.querySelectorAll('#flame-graph .fr')].map(f =>
            [f.dataset.name, f.getBoundingClientRect().width, f.textContent])""")
        top = [f[0] for f in frames()]
        check(top[:1] == ["all"] and "prog-stacks" in top, f"the whole tree's graph: {top[:20]}")
        check(any(o.startswith("prog-tree") for o in opts) and any(o.startswith("prog-mmap") for o in opts),
              f"each executable with stacks has its own graph: {opts}")
        br.js(f"(() => {{ const s = document.getElementById('flame-exe'); s.value = '{idx - 1}'; s.dispatchEvent(new Event('change')); }})()")
        fr = {f[0]: f for f in frames()}
        for fn in ("main", "heavy_site", "light_site"):
            check(fn in fr, f"a frame named {fn}: {sorted(fr)[:30]}")
        if "heavy_site" in fr and "light_site" in fr:
            ratio = fr["heavy_site"][1] / max(fr["light_site"][1], 1)
            check(2.2 < ratio < 3.8, f"heavy_site about three times light_site's width: {ratio:.2f}")
            check(fr["heavy_site"][2] == "heavy_site", "the frame is labelled")
        br.screenshot("#flame", os.path.join(tmp, "flame.png"))
        x, y = br.center('#flame-graph .fr[data-name="heavy_site"]')
        br.mouse("mouseMoved", x, y, button="none")
        tip = br.js("(() => { const t = document.querySelector('#flame .tip'); return [t.hidden, t.textContent]; })()")
        check(not tip[0] and "heavy_site" in tip[1] and "prog-stacks.c" in tip[1] and "% of all" in tip[1],
              f"a tooltip with the function, its file and its share: {tip}")
        br.click(at=(x, y))
        wz = br.js("""[document.querySelector('#flame-graph .fr[data-name="heavy_site"]').getBoundingClientRect().width,
                       document.getElementById('flame-graph').clientWidth]""")
        check(wz[0] >= 0.95 * wz[1], f"a click zooms on the frame: {wz}")
        br.click("#flame-reset")
        br.type("#flame-search", "heavy")
        hits = br.js("[...document.querySelectorAll('#flame-graph .fr.hit')].map(f => f.dataset.name)")
        info = br.js("document.getElementById('flame-info').textContent")
        check(hits and set(hits) == {"heavy_site"} and "matched" in info, f"search marks heavy_site: {hits} {info}")
        br.js("(() => { const q = document.getElementById('flame-search'); q.value = 'lib_stacks'; q.dispatchEvent(new Event('input')); })()")
        info = br.js("document.getElementById('flame-info').textContent")
        check(re.match(r"matched 4\.\d+ KiB", info), f"search finds the library's frames, even too thin to draw: {info}")
        br.js("(() => { const q = document.getElementById('flame-search'); q.value = ''; q.dispatchEvent(new Event('input')); })()")
        br.js("(() => { const s = document.getElementById('flame-metric'); s.value = '2'; s.dispatchEvent(new Event('change')); })()")
        fr = {f[0] for f in frames()}
        check({"leak_leaf", "leak_middle", "main"} <= fr and "heavy_site" not in fr, f"leaked bytes: {sorted(fr)}")
        br.js("(() => { const s = document.getElementById('flame-metric'); s.value = '1'; s.dispatchEvent(new Event('change')); })()")
        check("leak_leaf" in {f[0] for f in frames()}, "live at the peak: the blocks held then")
        # A narrow window: nothing wider than the window but scrolled tables.
        br.size(420, 800)
        br.open("file://" + page)
        nw = br.js("[document.documentElement.scrollWidth, document.getElementById('heap-chart').getBoundingClientRect().width]")
        check(nw[0] <= 422 and nw[1] <= 420, f"legible at 420 px: page {nw[0]} px, chart {nw[1]} px")
        br.size(1280, 900)
        # Sampled: estimates, said so.
        br.open("file://" + sampled)
        note = br.js("document.getElementById('flame-note').textContent")
        check("one stack every 65536 bytes" in note and "scaled estimate" in note, f"sampled: said: {note}")
        check("\u2248" in br.js("document.getElementById('flame-info').textContent"), "sampled figures marked \u2248")
        # 10,000 processes: the top rows, and more on request.
        br.open("file://" + bigpage)
        rows = lambda: br.js("document.querySelectorAll('#procs-table tbody tr').length")
        check(rows() == 25, f"the top 25 rows of {n + 1}: {rows()}")
        br.click("#procs .show-more")
        check(rows() == 125, f"100 more on a click: {rows()}")
        lk = br.js("document.querySelectorAll('#leaks-table tbody tr').length")
        check(lk == 25, f"leaks: the top rows only: {lk}")
        shots = os.environ.get("MSTAT_SHOTS")
        if shots:
            for name in ("chart", "table", "flame"):
                shutil.copy(os.path.join(tmp, name + ".png"), os.path.join(shots, f"report-{name}.png"))
    finally:
        br.close()


def case_trace(tmp):
    """--trace-event: Chrome trace-event JSON, checked against the format's
    rules and against the JSON report of the same logs (tracecheck.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tracecheck

    def both(name, logs):
        out = os.path.join(tmp, name + ".trace.json")
        r = mstat("report", "--json", "--trace-event", out, logs)
        check(r.returncode == 0, f"{name}: report --trace-event: {r.stderr[-500:]}")
        with open(out) as f:
            trace = json.load(f)
        rep = json.loads(r.stdout)
        bad = tracecheck.check_format(trace)
        check(not bad, f"{name}: the format's rules: {bad[:10]}")
        if not bad:
            bad = tracecheck.check_against(trace, rep)
            check(not bad, f"{name}: against the JSON report: {bad[:10]}")
        return trace, rep

    static = prog("prog-static")
    cmd = [prog("prog-tree"), "root"] + ([static] if os.path.exists(static) else [])
    run_json(tmp, "tree", cmd)
    trace, rep = both("tree", os.path.join(tmp, "tree"))
    ev = trace["traceEvents"]
    procs = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
    check(procs.get(tracecheck.TREE_PID) == "whole tree", "a track for the whole tree")
    check(len(procs) - 1 == rep["totals"]["processes"] + rep["totals"]["untraced_parents"],
          f"one track per process: {sorted(procs.values())}")
    execd = [im for im in images(rep) if im["relation"] == "exec"]
    xs = {e["args"]["image"]: e for e in ev if e["ph"] == "X"}
    check(execd and xs[execd[0]["id"]]["pid"] == xs[execd[0]["parent"]]["pid"],
          "the exec'd image is the next slice on its process's track")
    check(any(e["ph"] == "s" for e in ev), "flows from parents to children")
    run_json(tmp, "mmap", [prog("prog-mmap")])
    trace, rep = both("mmap", os.path.join(tmp, "mmap"))
    names = {e["name"] for e in trace["traceEvents"] if e["ph"] == "C"}
    check({"heap", "anon mmap", "resident", "tree heap + anon mmap"} <= names, f"counter tracks {names}")
    # pids used twice (pid_max wraps in a long build): separate tracks,
    # each named with its real pid.
    d = os.path.join(tmp, "reused")
    os.mkdir(d)
    hdr = ("# MALLOC-STAT-LOG 1\n# PID {pid}\n# PPID {ppid}\n# START {start}\n# PSTART {pstart}\n"
           "# TIME 1700000000000000000 {t}\n# ORIGIN image\n# FILE log.{pid}.{e}.0\n"
           "# CMDLINE {cmd}\n+ INIT 0 0x0\n-\n+ TIME {t} 0x0\n-\n")
    t0 = 10_000_000_000
    with open(os.path.join(d, "log.100.1.0"), "w") as f:
        f.write(hdr.format(pid=100, ppid=1, start=1000, pstart=1, t=t0, e=1, cmd="make"))
        f.write(f"+ malloc 100000 0x1000 100008\n-\n+ TIME {t0 + 200_000_000} 0x0\n-\n")
    for i in range(6):
        t = t0 + 10_000_000 + i * 20_000_000
        with open(os.path.join(d, f"log.{200 + i % 2}.{i}.0"), "w") as f:
            f.write(hdr.format(pid=200 + i % 2, ppid=100, start=t // 10_000_000, pstart=1000, t=t,
                               e=i, cmd="cc1"))
            f.write(f"+ malloc {1000 * (i + 1)} 0x2000 {1000 * (i + 1) + 8}\n-\n"
                    f"+ TIME {t + 8_000_000} 0x0\n-\n+ free {1000 * (i + 1) + 8} 0x2000\n-\n")
    trace, rep = both("reused", d)
    cc1 = [n for p, n in ((e["pid"], e["args"]["name"]) for e in trace["traceEvents"]
                          if e["ph"] == "M" and e["name"] == "process_name") if n.startswith("cc1")]
    check(len(cc1) == 6 and sorted(cc1) == sorted(["cc1 [200]"] * 3 + ["cc1 [201]"] * 3),
          f"six cc1 tracks, two pids: {cc1}")


def case_scale(tmp):
    """Thousands of processes, pids reused (pid_max is 32768 on the build
    machines): each child must hang from make, none from a namesake."""
    n, pids = 6000, 2000
    d = os.path.join(tmp, "logs")
    os.mkdir(d)
    hdr = ("# MALLOC-STAT-LOG 1\n# PID {pid}\n# PPID {ppid}\n# START {start}\n# PSTART {pstart}\n"
           "# TIME 1700000000000000000 {t}\n# ORIGIN image\n# FILE log.{pid}.{e}.0\n"
           "# CMDLINE {cmd} {arg}\n+ INIT 0 0x0\n-\n+ TIME {t} 0x0\n-\n")
    end = 10_000_000_000 + n * 2_000_000 + 8_000_000
    with open(os.path.join(d, "log.100.1.0"), "w") as f:
        f.write(hdr.format(pid=100, ppid=1, start=1000, pstart=1, t=10_000_000_000, e=1,
                           cmd="make", arg="-j2"))
        f.write(f"+ malloc 100000 0x1000 100008\n-\n+ TIME {end} 0x0\n-\n")
    for i in range(n):
        pid, t = 200 + i % pids, 10_000_000_000 + i * 2_000_000
        with open(os.path.join(d, f"log.{pid}.{i}.0"), "w") as f:
            f.write(hdr.format(pid=pid, ppid=100, start=t // 10_000_000, pstart=1000, t=t, e=i,
                               cmd="cc1" if i % 2 else "as", arg=f"f{i}.c"))
            f.write(f"+ malloc 5000 0x2000 5008\n-\n+ TIME {t + 4_000_000} 0x0\n-\n"
                    "+ free 5008 0x2000\n-\n")
    r = mstat("report", "--json", d)
    check(r.returncode == 0, f"report: {r.returncode} {r.stderr[-500:]}")
    j = json.loads(r.stdout)
    check(j["totals"]["processes"] == n + 1, f"processes {j['totals']['processes']}")
    ids = by_id(j)
    make = [im for im in j["images"] if im["command"] == "make"][0]
    bad = [im for im in j["images"] if im is not make and im["parent"] != make["id"]]
    check(not bad, f"{len(bad)} children not under make")
    check(not any(im["virtual"] for im in j["images"]), "no gaps")
    cmds = {c["name"]: c["count"] for c in j["commands"]}
    check(cmds == {"make": 1, "cc1": n // 2, "as": n // 2}, f"commands {cmds}")
    # 2 ms apart, each over two 4 ms ticks: make and four children per bin.
    check(j["heap"]["peak_bytes"] == 100008 + 4 * 5008, f"peak {j['heap']['peak_bytes']}")
    check(j["heap"]["max_alive"] == 5, f"alive {j['heap']['max_alive']}")
    t = mstat("report", d)
    check(re.search(r"cc1 x 3000", t.stdout) and re.search(r"as x 3000", t.stdout),
          "text: repetitive siblings folded")
    check(len(t.stdout.splitlines()) < 80, "text: the folded report stays short")
    check("separate runs" not in r.stderr, "one run: no idle-gap message")
    # Thousands of processes whose parent is untraced (a static build
    # driver): one gap node for them all. Then the same logs with a second
    # run 60 s later beside them: said.
    d = os.path.join(tmp, "orphans")
    os.mkdir(d)
    n = 3000
    for i in range(n):
        pid, t = 20000 + i, 10_000_000_000 + i * 1_000_000
        if i == n - 1:
            t += 60_000_000_000
        with open(os.path.join(d, f"log.{pid}.1.0"), "w") as f:
            f.write(hdr.format(pid=pid, ppid=4000000, start=t // 10_000_000, pstart=400, t=t, e=1,
                               cmd="cc", arg=str(i)))
            f.write("+ malloc 10 0x1000 24\n-\n")
    r = mstat("report", "--json", d)
    j = json.loads(r.stdout) if r.returncode == 0 else {"images": []}
    virt = [im for im in j["images"] if im["virtual"]]
    check(len(virt) == 1 and all(im["parent"] == virt[0]["id"] for im in j["images"]
                                 if not im["virtual"]),
          f"{n} children of one untraced parent under one gap node: {len(virt)} gaps")
    check("no traced process was alive or logging for 60.0 s" in r.stderr,
          f"a second run a minute later: said: {r.stderr[-300:]}")


def case_fuzz(tmp):
    fuzz = os.environ.get("FUZZ", "")
    if not fuzz or not os.path.exists(fuzz):
        print("SKIP: no fuzz target (needs clang with libFuzzer)")
        sys.exit(77)
    new = os.path.join(tmp, "new")
    os.mkdir(new)
    # Beside the corpus, a summary with stacks as the preload writes it
    # now (rows, SITE entries, stack ids in the packed list).
    seeds = os.path.join(tmp, "seeds")
    p = mstat("run", "-o", seeds + "/", "--summary", "--backtrace", "16", "--", prog("prog-stacks"))
    made = [os.path.join(seeds, f) for f in os.listdir(seeds)] if os.path.isdir(seeds) else []
    check(p.returncode == 0 and any(open(f, "rb").read().find(b"\n+ SITE ") > 0 for f in made),
          f"a summary with stacks for the fuzzer: exit {p.returncode}, {made}: {p.stderr[-300:]}")
    r = subprocess.run([fuzz, "-runs=20000", "-max_total_time=60", "-rss_limit_mb=1024",
                        new, os.path.join(SRC, "tests", "tools", "corpus"), seeds],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"fuzzing found a problem: {r.stderr[-3000:]}")
    check("Done" in r.stderr or "DONE" in r.stderr, "the fuzzer ran to the end")


def case_damage(tmp):
    """Every reader of the command, built with UBSan (undefined behaviour
    fatal), on damaged copies of real files: a summary with stacks, one
    killed, and an event log, each cut at many lengths and with 8-byte
    words of its body set to 0, 1, 2^63 and all ones. `report --json`,
    the text report, `--html` and `show` must end with 0 or a refusal (1),
    never a signal or a sanitizer's message, and the JSON must hold no
    negative count or size. Found this way: a qsort of no children from
    NULL, a shift into the sign bit in show's size classes, INT64_MIN
    negated in a unit's formatting, a tree without time when a header's
    TIME was damaged, 2^63 bytes of unknown frees taken as read."""
    ub = os.environ.get("UBSAN_MSTAT", "")
    if not ub or not os.path.exists(ub):
        print("SKIP: no UBSan build of the command")
        sys.exit(77)
    srcs = []
    for name, args, cmd in (("stk", ["--summary", "--backtrace", "16"], [prog("prog-stacks")]),
                            ("ev", ["--events"], [prog("prog-counts")]),
                            ("sum", ["--summary"], [prog("prog-tree"), "root"])):
        d = os.path.join(tmp, name)
        p = mstat("run", "-o", d + "/", *args, "--", *cmd)
        fs = [os.path.join(d, f) for f in log_files(d)]
        check(fs, f"{name}: no logs ({p.returncode}: {p.stderr[-200:]})")
        srcs += fs[:2]
    rng = __import__("random").Random(7)
    made = []
    for k, src in enumerate(srcs):
        data = open(src, "rb").read()
        body = int(data[32:40], 16) * 64 if data[18:28] == b"SUMMARY 2 " else 0
        cuts = sorted({len(data) * i // 23 for i in range(1, 23)} | {body + 8 * i for i in range(0, 40, 3)})
        for c in cuts:
            made.append(data[:c])
        for i in range(40):
            at = (body + 8 * rng.randrange(0, 200)) if body else rng.randrange(0, len(data))
            at = min(at, max(len(data) - 8, 0)) & ~7
            for w in (0, 1, 1 << 63, (1 << 64) - 1):
                made.append(data[:at] + w.to_bytes(8, "little") + data[at + 8:])
    bad = []
    for i, blob in enumerate(made):
        d = os.path.join(tmp, "dmg", str(i))
        os.makedirs(d)
        f = os.path.join(d, "log.%d.1.0" % (1000 + i))
        with open(f, "wb") as fh:
            fh.write(blob)
        for argv in (["report", "--json", d], ["report", d], ["report", d, "--html", f + ".html"],
                     ["show", f]):
            r = subprocess.run([ub] + argv, capture_output=True, timeout=60)
            err, out = r.stderr.decode(errors="replace"), r.stdout.decode(errors="replace")
            if r.returncode not in (0, 1) or "runtime error" in err:
                bad.append((i, argv[0], r.returncode, err[-300:]))
            elif argv[:2] == ["report", "--json"] and r.returncode == 0:
                neg = [k for k in re.findall(r'"(\w+)": -\d', out)
                       if k not in ("in_use", "peak_in_use")]  # FINI's, after a reset
                if neg:
                    bad.append((i, "negative", neg[:4]))
        if len(bad) > 5:
            break
    print(f"{len(made)} damaged files, 4 readers each")
    check(not bad, f"damaged inputs: {bad[:5]}")


def case_bench(tmp):
    """Benchmark: parse speed next to `wc -l` on the same files."""
    import time
    gen = prog("gen-log")
    mb = os.environ.get("BENCH_MB", "400")
    d = os.path.join(tmp, "big")
    os.mkdir(d)
    subprocess.run([gen, d, "16", mb], check=True)
    files = [os.path.join(d, f) for f in sorted(os.listdir(d))]
    subprocess.run(["cat", *files], stdout=subprocess.DEVNULL, check=True)   # cache them
    t0 = time.monotonic()
    c0 = os.times()
    subprocess.run(["wc", "-l", *files], stdout=subprocess.DEVNULL, check=True)
    c1 = os.times()
    t1 = time.monotonic()
    size = sum(os.path.getsize(f) for f in files)
    wcpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    print(f"wc -l: {size / 1e6:.0f} MB in {t1 - t0:.3f} s ({wcpu:.3f} s CPU): "
          f"{size / 1e6 / (t1 - t0):.0f} MB/s, {size / 1e6 / max(wcpu, 1e-3):.0f} MB per CPU second")
    for th in ("1", "2"):
        r = mstat("report", "--stats", "--threads", th, "--json", "--output", os.devnull, d)
        print(r.stderr.strip())
        check(r.returncode == 0, "report of the benchmark logs")


# ---- issue 15: first use ----

def readme_first_command():
    """The README's first command (after `scripts/setup && `)."""
    with open(os.path.join(SRC, "README.md")) as f:
        text = f.read()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    cmds = [l for l in block.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    return cmds[0].split("&&", 1)[1].strip() if cmds and "&&" in cmds[0] else None


def tree_files(top):
    out = set()
    for d, _, fs in os.walk(top):
        out.update(os.path.relpath(os.path.join(d, f), top) for f in fs)
    return out


def case_firstuse(tmp):
    # The README's first command, in a copy of the checkout's example: it
    # leaves the example's files as they were, so the test of the traced
    # make (tools-make) still finds everything to do after it.
    cmd = readme_first_command()
    if check(cmd and cmd.startswith("build/tools/malloc-stat run "), f"README's command: {cmd}"):
        root = os.path.join(tmp, "checkout")
        ex = os.path.join(root, "examples", "wordfreq")
        shutil.copytree(os.path.join(SRC, "examples", "wordfreq"), ex)
        before = tree_files(ex)
        sh = cmd.replace("build/tools/malloc-stat", '"$MSTAT"', 1)
        r = subprocess.run(["/bin/sh", "-c", sh], cwd=root, capture_output=True, text=True,
                           env=env(), timeout=300)
        check(r.returncode == 0 and "check: ok" in r.stdout,
              f"README's command: exit {r.returncode}: {r.stderr[-1500:]}")
        check(tree_files(ex) == before,
              f"the example's tree as checked out: new {sorted(tree_files(ex) - before)}")
        p, rep = run_json(tmp, "again", ["make", "-j2", "-C", ex, "O=" + os.path.join(tmp, "obj")])
        cmds = {c["name"]: c["count"] for c in rep["commands"]} if rep else {}
        check(p.returncode == 0 and cmds.get("cc1") == 5,
              f"the traced make after it compiles all five files: {cmds} {p.stderr[-500:]}")

    # Only files named like logs are logs: the command's own output beside
    # them (-o X ... > X.out) is neither refused nor read.
    x = os.path.join(tmp, "X")
    with open(x + ".out", "w") as out:
        p = subprocess.run([MSTAT, "run", "-o", x, "--", "sh", "-c", "echo hello"], stdout=out,
                           stderr=subprocess.PIPE, text=True, env=env(), timeout=60)
    check(p.returncode == 0 and "exist already" not in p.stderr,
          f"-o X with X.out beside: {p.returncode} {p.stderr[-300:]}")
    check("malloc-stat: 1 process, 1 image" in p.stderr and "not a malloc-stat log" not in p.stderr,
          f"X.out is not read as a log: {p.stderr[-300:]}")
    p = mstat("run", "-o", x, "--", "true")
    check(p.returncode == 125 and "exist already" in p.stderr, "logs X.PID.EPOCH.N are refused")

    # Where the programs sit (a long build directory) does not hide the
    # arguments that tell the processes apart.
    deep = os.path.join(tmp, *(["d" * 60] * 4))
    os.makedirs(deep)
    shutil.copy(prog("prog-tree"), deep)
    static = prog("prog-static")
    p, rep = run_json(tmp, "deep", [os.path.join(deep, "prog-tree"), "root"] +
                      ([static] if os.path.exists(static) else []))
    t = mstat("report", os.path.join(tmp, "deep"), "--top", "0")
    for arg in ("root", "spawn", "image2") + (("grand",) if os.path.exists(static) else ()):
        check(re.search(rf"prog-tree {arg}\b", t.stdout),
              f"a program {len(deep)} bytes deep: its argument '{arg}' shown: {t.stdout[-2000:]}")

    # Capture set by run's flags; --help says which flags record and which
    # report.
    h = mstat("run", "--help").stdout
    rec, _, rpt = h.partition("What is reported")
    check("--backtrace DEPTH" in rec and "--sample BYTES" in rec and "--prefix" in rec,
          f"run --help: the recording flags: {h}")
    check("--stacks" in rpt and "--json" in rpt and "--backtrace DEPTH" not in rpt and
          "--sample" not in rpt,
          f"run --help: the report flags: {h}")
    out = os.path.join(tmp, "cap.json")
    p = mstat("run", "-o", os.path.join(tmp, "cap") + "/", "--backtrace", "16", "--sample", "4096",
              "--stacks", "--json", "--output", out, "--", prog("prog-stacks"),
              extra_env={"DEBUGINFOD_URLS": ""})
    rep = json.load(open(out)) if os.path.exists(out) else None
    x = rep and exe_stacks(rep, "prog-stacks")
    check(p.returncode == 0 and x and x["sample"] == 4096,
          f"run --backtrace 16 --sample 4096: sampled stacks: {p.returncode} {p.stderr[-300:]}")
    logs = os.path.join(tmp, "cap")
    with open(os.path.join(logs, sorted(os.listdir(logs))[0]), "rb") as f:
        head = f.read(4096)
    check(b"\n# STACKS 16 4096\n" in head, f"the log says depth 16, sample 4096: {head[:400]}")
    p = mstat("run", "-o", os.path.join(tmp, "cap2") + "/", "--stacks", "--json", "--output", out,
              "--", prog("prog-stacks"), extra_env={"DEBUGINFOD_URLS": ""})
    rep = json.load(open(out)) if os.path.exists(out) else None
    x = rep and exe_stacks(rep, "prog-stacks")
    check(p.returncode == 0 and x and x["sample"] == 0 and x["by_bytes"],
          f"run --stacks records stacks: {p.stderr[-300:]}")
    for bad in (("--backtrace", "65"), ("--backtrace", "x"), ("--sample", "-1")):
        check(mstat("run", *bad, "--", "true").returncode == 2, f"run {' '.join(bad)}: usage error")


# ---- issue 15: names a person recognises ----

def report_section(text, title):
    """The lines of one section of the text report, from its title line to
    the next blank line."""
    out, on = [], False
    for l in text.splitlines():
        if l.startswith(title):
            on = True
        elif on and not l.strip():
            break
        if on:
            out.append(l)
    return out


def case_names(tmp):
    if not shutil.which("make") or not shutil.which("cc"):
        print("SKIP: make or cc missing")
        sys.exit(77)
    ex = os.path.join(SRC, "examples", "wordfreq")
    p, rep = run_json(tmp, "make", ["make", "-j2", "-C", ex, "O=" + os.path.join(tmp, "obj")])
    if not check(p.returncode == 0 and rep, f"make: {p.returncode} {p.stderr[-1000:]}"):
        return
    logs = os.path.join(tmp, "make")
    ids = by_id(rep)
    cmds = {c["name"]: c for c in rep["commands"]}
    cc1 = [im for im in images(rep) if im["command"] == "cc1"]
    source = lambda im: next((a for a in im["argv"][1:] if a.endswith(".c")), None)
    check(len(cc1) == 5 and all(source(im) for im in cc1) and
          all(len(im["argv"]) > 5 and "-quiet" in im["argv"] for im in cc1),
          f"JSON: the whole command line of each cc1: {[im['argv'] for im in cc1]}")
    # The default text report, written to a file and to a pipe; the whole
    # tree (--top 0) for every row.
    out = os.path.join(tmp, "report.txt")
    r = mstat("report", "--output", out, logs)
    with open(out) as f:
        texts = (("a file", f.read()), ("a pipe", mstat("report", logs).stdout))
    for how, text in texts + (("--top 0", mstat("report", "--top", "0", logs).stdout),):
        check("/usr/lib/gcc" not in text and "/usr/bin/" not in text,
              f"{how}: programs by their base names: {text[-3000:]}")
        if how != "--top 0":
            continue
        tree = "\n".join(report_section(text, "Process tree"))
        for im in cc1:
            check(re.search(rf"\bcc1 {re.escape(source(im))} \[{im['pid']}\]", tree),
                  f"{how}: cc1 named by its file: {source(im)} [{im['pid']}]: {tree}")
            cc = ids[im["parent"]]
            check(re.search(rf"\bcc {re.escape(source(im))} \[{cc['pid']}\]", tree),
                  f"{how}: the cc compiling it too: {cc['argv']}")
        for name, output in (("as", r"\S*\.o"), ("ld", r"\S*wordfreq"), ("collect2", r"\S*wordfreq")):
            check(re.search(rf"\b{name} -o {output} \[\d+\]", tree), f"{how}: {name} by its output: {tree}")
        check(re.search(r"\bmake -C \S*examples/wordfreq \[", tree), f"{how}: make by its directory: {tree}")
    for how, text in texts:
        # Which compile used the most memory, and on which file: the cc1
        # rows of the tables name the one with the highest figure.
        for title, key in (("Commands", "peak_image"), ("Memory of the whole tree", "rss_peak_image")):
            row = [l for l in report_section(text, title) if l.startswith("  cc1 ")]
            top = ids.get(cmds["cc1"][key])
            check(row and top and re.search(rf"\bcc1 {re.escape(source(top))} \[{top['pid']}\]", row[0]),
                  f"{how}: {title}: the cc1 row names the largest compile and its file: {row}")
    # The whole command line in the HTML page, the job's name shown (every
    # row: the folded tree may show only the link of the cc group).
    page = os.path.join(tmp, "r.html")
    mstat("report", "--html", page, "--top", "0", "--output", os.devnull, logs)
    with open(page) as f:
        html = f.read()
    im = cc1[0]
    check(re.search(rf'title="[^"]*/cc1 [^"]*-quiet[^"]*{re.escape(source(im))}[^"]*">cc1 '
                    rf'{re.escape(source(im))}</span>', html),
          "HTML: the job's name shown, the whole command line in its title")

    # Control characters in arguments never reach the terminal raw.
    bad = "\x1b[31mred\x07tab\tend"
    p = mstat("run", "-o", os.path.join(tmp, "esc") + "/", "--", prog("prog-counts"), bad)
    t = mstat("report", os.path.join(tmp, "esc"))
    rep = json.loads(mstat("report", "--json", os.path.join(tmp, "esc")).stdout)
    for how, text in (("run", p.stderr), ("report", t.stdout)):
        check("\x1b" not in text and "\x07" not in text, f"{how}: no raw control characters")
        check("\\x1b[31mred\\x07tab\\tend" in text, f"{how}: escaped: {text[-600:]}")
    check(rep and images(rep)[0]["argv"][1] == bad, "JSON: the argument as it was")

    # Grammar: one block, one process.
    d = os.path.join(tmp, "one")
    os.mkdir(d)
    tiny_log(os.path.join(d, "log.77.1.0"), 77, 100, 1_000_000_000, "one")
    t = mstat("report", d)
    check(re.search(r"\b1 block\b", t.stdout) and re.search(r"\b1 process\b", t.stdout),
          f"one block, one process: {t.stdout}")
    check(not re.search(r"\b1 (blocks|processes|images|commands|logs)\b", t.stdout),
          f"no '1 blocks', '1 processes': {t.stdout}")
    h = mstat("report", "--html", os.path.join(tmp, "one.html"), d)
    with open(os.path.join(tmp, "one.html")) as f:
        page = f.read()
    check(h.returncode == 0 and "1 process, 1 image" in page and
          not re.search(r"\b1 (processes|images)\b", page), "HTML: one process, one image")


# ---- issue 15: smaller defects ----

def tiny_log(path, pid, start, t, cmdline, extra="", body="", ppid=1):
    """A crafted log of one image: 1000 bytes allocated, kept to the end;
    extra goes into the header, body among the entries."""
    with open(path, "w") as f:
        f.write(f"# MALLOC-STAT-LOG 1\n# PID {pid}\n# PPID {ppid}\n# START {start}\n# PSTART 1\n"
                f"# TIME 1700000000000000000 {t}\n# ORIGIN image\n"
                f"# FILE {os.path.basename(path)}\n# CMDLINE {cmdline}\n{extra}+ INIT 0 0x0\n-\n"
                f"+ TIME {t} 0x0\n-\n+ malloc 1000 0x1000 1008\n-\n{body}"
                f"+ TIME {t + 8_000_000} 0x0\n-\n")


def case_defects(tmp):
    good = os.path.join(tmp, "good")
    run_json(tmp, "good", [prog("prog-counts")], mode="events")
    src = [os.path.join(good, f) for f in os.listdir(good) if re.search(r"\.\d+\.\d+\.\d+$", f)][0]

    # A missing path and a symlink loop: the loader under UBSan, and the
    # reason said.
    loop = os.path.join(tmp, "loop")
    os.symlink(loop, loop)
    ub = prog("ubsan-load")
    for what in (os.path.join(tmp, "missing"), loop, os.path.join(tmp, "missing", "prefix")):
        if os.path.exists(ub):
            r = subprocess.run([ub, what], capture_output=True, text=True, timeout=60)
            check("runtime error" not in r.stderr and r.returncode in (0, 1),
                  f"{what} under UBSan: {r.returncode} {r.stderr[-500:]}")
    r = mstat("report", loop)
    check(r.returncode == 1 and "too many levels of symbolic links" in r.stderr.lower(),
          f"a symlink loop: named as one: {r.stderr}")

    # A FIFO given twice is read once; a FIFO nobody writes to says so
    # while it waits.
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["/bin/sh", "-c", 'cat "$1" > "$2"', "sh", src, fifo])
    try:
        r = mstat("report", "--json", fifo, fifo, timeout=60)
        j = json.loads(r.stdout) if r.returncode == 0 else None
        check(j and j["totals"]["processes"] == 1 and "read once" in r.stderr,
              f"a FIFO given twice: read once: {r.stderr}")
    except subprocess.TimeoutExpired:
        check(False, "a FIFO given twice: the report waits forever")
    feeder.kill()
    feeder.wait()
    p = subprocess.Popen([MSTAT, "report", "--json", fifo], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env())
    import select
    line = ""
    if select.select([p.stderr], [], [], 60)[0]:
        line = p.stderr.readline()
    check(f"waiting for '{fifo}'" in line, f"a FIFO with no writer: said: {line!r}")
    with open(fifo, "wb") as f, open(src, "rb") as g:
        f.write(g.read())
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    j = json.loads(out) if p.returncode == 0 else None
    check(j and images(j)[0]["allocations"] == 114, f"then read whole: {err}")

    # JSON of a 16 MB command line: stdio calls per run of plain bytes, not
    # per byte (counted by lib-countio.so in malloc-stat itself).
    big = os.path.join(tmp, "big.log")
    arg = "".join(chr(97 + i % 26) for i in range(1 << 20))
    tiny_log(big, 7, 100, 1_000_000_000, "prog " + " ".join([arg] * 16) + " a\\sb \x01\x1b")
    count = os.path.join(tmp, "calls")
    r = mstat("report", "--json", "--output", os.path.join(tmp, "big.json"), big,
              extra_env={"LD_PRELOAD": prog("lib-countio.so"), "COUNTIO_OUT": count})
    with open(os.path.join(tmp, "big.json")) as f:
        bj = json.load(f)
    check(r.returncode == 0 and images(bj)[0]["argv"][1:3] == [arg, arg] and
          images(bj)[0]["argv"][-1] == "\x01\x1b", f"the big command line in JSON: {r.stderr[-300:]}")
    calls = int(open(count).read()) if os.path.exists(count) else -1
    check(0 < calls < 100_000, f"stdio calls writing 16 MB of JSON: {calls}")
    # A command line beyond what the kernel takes is damage: cut at 64 MiB
    # and said, not held whole twice (a 1.5 GB one cost 2.9 GB).
    huge = os.path.join(tmp, "huge.log")
    tiny_log(huge, 8, 100, 1_000_000_000, "x" * (70 << 20))
    r = mstat("report", "--json", "--output", os.path.join(tmp, "huge.json"), huge)
    with open(os.path.join(tmp, "huge.json")) as f:
        hj = json.load(f)
    check(r.returncode == 0 and "CMDLINE longer than 64 MiB: cut" in r.stderr and
          len(images(hj)[0]["argv"][0]) == 64 << 20, f"a 70 MiB command line: {r.stderr[-300:]}")
    os.unlink(huge)

    # --collapsed on logs without stacks: said.
    coll = os.path.join(tmp, "none.collapsed")
    r = mstat("report", "--collapsed", coll, good)
    check(r.returncode == 0 and os.path.exists(coll) and
          re.search(r"no call stacks in these logs.*--backtrace", r.stderr),
          f"--collapsed without stacks: said: {r.stderr}")

    # A reused pid: two processes of one command line are told apart.
    d = os.path.join(tmp, "reused")
    os.mkdir(d)
    tiny_log(os.path.join(d, "log.10002.1.0"), 10002, 100, 1_000_000_000, "./tiny")
    tiny_log(os.path.join(d, "log.10002.2.0"), 10002, 200, 2_000_000_000, "./tiny")
    for args in ((), ("--output", os.path.join(tmp, "reused.txt"))):
        r = mstat("report", *args, d)
        text = r.stdout if not args else open(args[1]).read()
        tree_rows = [l for l in report_section(text, "Process tree") if "tiny [10002" in l]
        check(len(tree_rows) == 2 and tree_rows[0] != tree_rows[1],
              f"a reused pid: two rows that differ: {tree_rows}")


def image_key(rep, im, exact):
    """An image by what it is, not by pid: its command line (exact) or
    program name, its origin and end, and the same of its parents."""
    ids = by_id(rep)
    key, node = [], im
    while node is not None:
        argv = tuple(node.get("argv") or ())
        if not exact:   # compilers name random temporary files
            argv = (os.path.basename(argv[0]),) if argv else ()
        key.append((argv, node.get("origin"), node.get("end")))
        node = ids.get(node["parent"]) if node["parent"] is not None else None
    return repr(tuple(key))


def parity(tmp, name, cmd, exact=True, cwd_of=None):
    """The same run traced as events and as a summary: the same tree and,
    image by image, the same figures. Runs that are not deterministic
    (a build: the environment differs by the mode's name) agree in their
    sums per kind of image to within 1%."""
    reps = {}
    for mode in ("events", "summary"):
        cwd = cwd_of(mode) if cwd_of else None
        p, reps[mode] = run_json(tmp, f"{name}-{mode}", cmd, cwd=cwd,
                                 extra_env={"MALLOC_STAT_MODE": mode})
        if not check(reps[mode] is not None, f"{name} {mode}: no JSON report ({p.stderr[-400:]})"):
            return None
    ev, su = reps["events"], reps["summary"]
    check(ev["summary_images"] == 0 and su["summary_images"] == su["totals"]["images"] and
          all(im["recorded"] == "summary" for im in images(su)),
          f"{name}: summary_images {ev['summary_images']} / {su['summary_images']}")

    def close(a, b):
        return a == b if exact or not isinstance(a, int) else abs(a - b) <= max(a, b) / 100

    for k in ("processes", "images", "died"):
        check(ev["totals"].get(k) == su["totals"].get(k),
              f"{name}: totals {k}: events {ev['totals'].get(k)}, summary {su['totals'].get(k)}")
    for k in ("allocations", "frees", "allocated", "freed", "leaked_blocks"):
        if k in ev["totals"]:
            check(close(ev["totals"][k], su["totals"].get(k)),
                  f"{name}: totals {k}: events {ev['totals'][k]}, summary {su['totals'].get(k)}")
    fields = ["allocations", "frees", "leaked_blocks", "allocated", "freed", "leaked", "peak"]
    sums = {}
    for mode, rep in (("events", ev), ("summary", su)):
        sums[mode] = {}
        for im in images(rep):
            row = sums[mode].setdefault(image_key(rep, im, exact), {"n": 0})
            row["n"] += 1
            for f in fields:
                if isinstance(im.get(f), int):
                    row[f] = row.get(f, 0) + im[f]
    check(sorted(sums["events"]) == sorted(sums["summary"]),
          f"{name}: the trees differ: {sorted(set(sums['events']) ^ set(sums['summary']))[:4]}")
    for k, a in sums["events"].items():
        b = sums["summary"].get(k, {})
        for f, v in a.items():
            check(close(v, b.get(f)) if f != "n" else v == b.get(f),
                  f"{name}: {k[:80]} {f}: events {v}, summary {b.get(f)}")
    return ev, su


def case_summary_threads(tmp):
    """Threads record into shards: the same calls, frees and leaks as the
    event log, whatever the interleaving; a run killed while four threads
    allocate leaves a body whose shards hold every live block."""
    n, ops, leak = 4, 100000, 10
    reps = {}
    for mode in ("events", "summary"):
        p, reps[mode] = run_json(tmp, f"mt-{mode}", [prog("prog-mt"), str(n), str(ops), str(leak)],
                                 extra_env={"MALLOC_STAT_MODE": mode})
        if not check(p.returncode == 0 and reps[mode] is not None and
                     f"leaks {n * leak} blocks" in p.stdout,
                     f"prog-mt {mode}: exit {p.returncode}, {p.stdout!r} {p.stderr[-300:]}"):
            return
    ev, su = reps["events"]["totals"], reps["summary"]["totals"]
    for k in ("processes", "images", "allocations", "frees", "leaked_blocks"):
        check(ev[k] == su[k], f"threads: {k}: events {ev[k]}, summary {su[k]}")
    # realloc's usable size depends on the neighbours other threads freed
    # (and the few blocks of the threads' start that live on, by a word).
    for k, tol in (("allocated", 1000), ("freed", 1000), ("leaked_bytes", 100)):
        check(abs(ev[k] - su[k]) <= ev[k] / tol, f"threads: {k}: events {ev[k]}, summary {su[k]}")
    check(su["leaked_blocks"] >= n * leak, f"threads: {su['leaked_blocks']} leaked blocks")
    im = [i for i in images(reps["summary"]) if "prog-mt" in i.get("command", "")]
    if check(len(im) == 1, f"threads: {len(im)} prog-mt images"):
        check(im[0]["peak"] >= su["leaked_bytes"], f"threads: peak {im[0]['peak']}")
        # Its peak is approximate, and says by how much: 64 KiB for each
        # of the 4 threads and the main thread that counted (FINI's, in
        # both kinds), and so does the text report.
        for mode, rep in reps.items():
            slack = [i["peak_slack"] for i in images(rep) if "prog-mt" in i.get("command", "")]
            check(slack and slack[0] >= n * 65536 and slack[0] % 65536 == 0,
                  f"threads {mode}: peak_slack {slack}")
        t = mstat("report", os.path.join(tmp, "mt-summary"))
        check("Note: the heap peaks of 1 image with threads are exact to within 64 KiB a thread"
              in t.stdout, f"threads: the text report's note: {t.stdout[-500:]}")
    # The text part's entries, written in the writer while other threads
    # record into shards, are all there and whole: every thread's mmaps.
    maps = n * ((ops + 511) // 512)
    for mode, rep in reps.items():
        im = [i for i in images(rep) if "prog-mt" in i.get("command", "")]
        check(len(im) == 1 and im[0]["mmaps"] == maps and im[0]["munmaps"] == maps,
              f"threads {mode}: mmaps/munmaps {[(i['mmaps'], i['munmaps']) for i in im]}, expected {maps}")
    # Killed with the world running: the body is readable and whole.
    d = os.path.join(tmp, "mt-kill")
    script = f"{prog('prog-mt')} {n} 100000000 0 & p=$!; sleep 1; kill -9 $p; wait $p; exit 0"
    p = mstat("run", "-o", d + "/", "--summary", "--", "sh", "-c", script)
    check(p.returncode == 0, f"killed prog-mt: run exit {p.returncode}: {p.stderr[-300:]}")
    reader = os.path.join(SRC, "tests", "summary", "summary-read.py")
    r = subprocess.run([sys.executable, reader, "--json"] +
                       [os.path.join(d, f) for f in os.listdir(d) if ".nolog" not in f],
                       capture_output=True, text=True)
    if not check(r.returncode == 0, f"killed prog-mt: decoder: {r.stderr[-300:]}"):
        return
    killed = [o for o in json.loads(r.stdout) if o["header"].get("EXE", "").endswith("/prog-mt")]
    if not check(len(killed) == 1 and not any(e.startswith("FINI") for e in killed[0]["entries"]),
                 f"killed prog-mt: {len(killed)} files, or FINI"):
        return
    o = killed[0]
    c = o["counters"]
    live = len(o["live"])
    live_bytes = sum(b["usable"] for b in o["live"])
    check(o["body"]["shards"] == 16, f"killed prog-mt: {o['body']['shards']} shards")
    check(c["allocations"] > 10000, f"killed prog-mt: only {c['allocations']} allocations")
    # Each thread may be inside one call: counted, not yet in its shard.
    check(abs(c["allocations"] - c["deallocations"] - live) <= 2 * n,
          f"killed prog-mt: {c['allocations']} - {c['deallocations']} allocations vs {live} live")
    check(abs(c["in_use"] - live_bytes) <= 2 * n * 2048,
          f"killed prog-mt: in_use {c['in_use']} vs {live_bytes} bytes live")
    check(o["unknown_frees"]["count"] <= n, f"killed prog-mt: {o['unknown_frees']} unknown frees")
    r = mstat("report", "--json", d)
    if check(r.returncode == 0, f"killed prog-mt: report exit {r.returncode}: {r.stderr[-300:]}"):
        rep = json.loads(r.stdout)
        t = rep["totals"]
        check(t["died"] >= 1 and t["leaked_blocks"] >= live - 2 * n,
              f"killed prog-mt: report died {t['died']}, leaked {t['leaked_blocks']} of {live}")
        # A thread killed between a block's entry and its count leaves a
        # table ahead of the counters: never a peak below the leaks.
        # Without FINI the slack comes from the threads that counted.
        for im in images(rep):
            check(im["peak"] >= im["live_bytes_end"],
                  f"killed prog-mt: peak {im['peak']} below {im['live_bytes_end']} live")
            if im.get("command") == "prog-mt":
                check(im["peak_slack"] >= n * 65536, f"killed prog-mt: peak_slack {im['peak_slack']}")


def case_summary_parity(tmp):
    # A double free glibc aborts on: the preload counted both frees, the
    # image never had the second block. Both kinds: in use at the end is
    # the 100 bytes kept, never below zero (the summary said -40).
    for mode in ("events", "summary"):
        p, rep = run_json(tmp, f"dfree-{mode}", [prog("prog-doublefree")],
                          extra_env={"MALLOC_STAT_MODE": mode})
        ims = images(rep) if rep else []
        check(len(ims) == 1 and ims[0]["frees"] == 2 and ims[0]["in_use_end"] == 104 and
              ims[0]["peak"] == 144, f"double free {mode}: "
              f"{[(i['frees'], i['in_use_end'], i['peak']) for i in ims]} {p.stderr[-200:]}")
    # Fork children without a call of their own: a summary's counters
    # from its start (the inherited in use and peak), not from its first
    # event. Before, their bodies said 0 and their FINI 1000: "FINI
    # counters differ" and a peak of 0.
    r = parity(tmp, "forkidle", [prog("prog-forkidle")])
    if r:
        ev, su = r
        kids = [im for im in images(su) if im["origin"] == "fork"]
        check(sorted(im["peak"] for im in kids) == [1000] * 3,
              f"forkidle: children's peaks {[im['peak'] for im in kids]}")
        p = mstat("report", os.path.join(tmp, "forkidle-summary"))
        check(p.returncode == 0 and "Problems" not in p.stdout and "FINI" not in p.stderr,
              f"forkidle: {p.stderr[-300:]}")
    static = prog("prog-static")
    cmd = [prog("prog-tree"), "root"] + ([static] if os.path.exists(static) else [])
    r = parity(tmp, "tree", cmd)
    if r:
        ev, su = r
        # An event at a tick's boundary may fall in either bin: the
        # tree's peak agrees to within that (the probe's small blocks),
        # never by a whole inherited 5000-byte block counted twice.
        check(abs(su["heap"]["peak_bytes"] - ev["heap"]["peak_bytes"]) <= 1024,
              f"tree peak: events {ev['heap']['peak_bytes']}, summary {su['heap']['peak_bytes']}")
    # A real make -j2: compiles differ run to run only in their timing.
    def cwd_of(mode):
        d = os.path.join(tmp, "wf-" + mode)
        shutil.copytree(os.path.join(SRC, "examples", "wordfreq"), d)
        return d
    r = parity(tmp, "make", ["make", "-B", "-j2"], exact=False, cwd_of=cwd_of)
    if r:
        ev, su = r
        a, b = ev["totals"]["allocated"], su["totals"]["allocated"]
        check(abs(a - b) <= a / 1000, f"make: allocated events {a}, summary {b}")
        sizes = {}
        for mode in ("events", "summary"):
            d = os.path.join(tmp, f"make-{mode}")
            sizes[mode] = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        check(sizes["summary"] < sizes["events"],
              f"make: summary files {sizes['summary']} bytes, event logs {sizes['events']}")
    # merge carries the bodies: the merged file reports the same figures.
    src = os.path.join(tmp, "tree-summary")
    merged = os.path.join(tmp, "tree-summary.mslog")
    r = mstat("merge", src, "-o", merged)
    if check(r.returncode == 0, f"merge of summaries: exit {r.returncode} {r.stderr[-300:]}"):
        r = mstat("report", "--json", merged)
        direct = json.load(open(os.path.join(tmp, "tree-summary.json")))
        if check(r.returncode == 0 and "body" not in r.stderr, f"merged summaries: {r.stderr[-300:]}"):
            t = json.loads(r.stdout)["totals"]
            for k in ("processes", "images", "allocations", "allocated", "freed", "leaked_blocks"):
                check(t.get(k) == direct["totals"].get(k),
                      f"merged summaries: {k} {t.get(k)}, direct {direct['totals'].get(k)}")
    # Damaged bodies: FILE:LINE: reason, and the text part still read.
    logs = sorted(f for f in os.listdir(src) if ".nolog" not in f)
    bad = os.path.join(tmp, "damaged")
    os.mkdir(bad)
    for i, f in enumerate(logs[:3]):
        with open(os.path.join(src, f), "rb") as fh:
            data = bytearray(fh.read())
        page = summary_body_at(data)
        if i == 0:
            data = data[:page + 100]            # cut inside the superblock
        elif i == 1:
            data[page + 1:page + 8] = b"XXXXXXX"  # foreign magic
        else:
            data[page + 16:page + 24] = (0xffffffff << 32 | 30).to_bytes(8, "little")
        with open(os.path.join(bad, f), "wb") as fh:
            fh.write(data)
    # A packed list (body version 3 on) whose first group is not at its
    # data's start.
    for f in logs[3:]:
        with open(os.path.join(src, f), "rb") as fh:
            data = bytearray(fh.read())
        page = summary_body_at(data)
        ver, n, groups = (int.from_bytes(data[page + o:page + o + 8], "little") for o in (8, 1168, 1176))
        if ver & 0xffffffff >= 3 and n and groups:
            data[page + groups + 8] ^= 1
            with open(os.path.join(bad, f), "wb") as fh:
                fh.write(data)
            damaged = logs[:3] + [f]
            break
    else:
        damaged = logs[:3]
    check(len(damaged) == 4, f"no packed body to damage among {logs[3:]}")
    r = mstat("report", "--json", bad)
    check(r.returncode == 0, f"damaged summaries: exit {r.returncode}: {r.stderr[-300:]}")
    for f, why in zip(damaged, ("beyond the end", "no summary body", "live-block table",
                                "packed list: group 0 of")):
        check(re.search(re.escape(f) + r":2: .*" + why, r.stderr),
              f"damaged {f}: no 'FILE:2: {why}' in {r.stderr[-500:]}")
    if r.returncode == 0:
        check(json.loads(r.stdout)["totals"]["images"] == len(damaged),
              "the damaged images are still reported")
    r = mstat("show", os.path.join(bad, logs[1]))
    check(r.returncode == 1 and f"{logs[1]}:2: no summary body" in r.stderr,
          f"show of a damaged body: exit {r.returncode}, {r.stderr[-300:]}")
    # show: the body's counters and live blocks, as the report has them.
    rep = json.load(open(os.path.join(tmp, "tree-summary.json")))
    for im in images(rep):
        if not im.get("file"):
            continue
        r = mstat("show", os.path.join(src, im["file"]))
        if not check(r.returncode == 0, f"show {im['file']}: exit {r.returncode} {r.stderr[-200:]}"):
            continue
        got = dict(re.findall(r"^  (allocations|deallocations|allocated) +(\d+)$", r.stdout, re.M))
        check(got == {"allocations": str(im["allocations"]), "allocated": str(im["allocated"]),
                      "deallocations": str(im["frees"])},
              f"show {im['file']}: {got}, report {im['allocations']} {im['allocated']} {im['frees']}")
        m = re.search(r"^Live blocks: (\d+),", r.stdout, re.M)
        want = im["leaked_blocks"] if im["end"] in ("exit", "died") else None
        check(m and (want is None or int(m.group(1)) == want),
              f"show {im['file']}: live blocks {m and m.group(1)}, report {want}")


def stack_figures(x):
    """One executable's stacks in a JSON report, by their frames: calls,
    bytes, peak bytes, leaked bytes and blocks."""
    out = {}
    for r in x["by_bytes"] + x["by_peak"] + x["leaks"]:
        key = tuple((f["function"], f["file"], f["line"], f["module"]) for f in r["frames"])
        out[key] = (r["calls"], r["bytes"], r["peak_bytes"], r["leaked_bytes"], r["leaked_blocks"])
    return out


def case_summary_stacks(tmp):
    """Call stacks of a summary (body version 4: a row a stack, frames in
    SITE entries) report as the event log of the same run does, stack by
    stack, in JSON and text; sampled, they agree as estimates do."""
    lib = prog("lib-stacks.so")
    reps, texts = {}, {}
    for mode in ("events", "summary"):
        p, reps[mode], _ = run_stacks(tmp, "st-" + mode, [prog("prog-stacks"), lib], depth="16",
                                      more=("--" + mode,))
        if not check(p.returncode == 0 and reps[mode] is not None,
                     f"prog-stacks {mode}: exit {p.returncode}: {p.stderr[-500:]}"):
            return
        check(p.stderr == "", f"prog-stacks {mode}: said {p.stderr[-500:]}")
        r = mstat("report", "--stacks", "--top", "0", os.path.join(tmp, "st-" + mode))
        texts[mode] = r.stdout[r.stdout.find("Call stacks of"):]
    ev, su = reps["events"], reps["summary"]
    check(su["summary_images"] == 1 and ev["summary_images"] == 0,
          f"one summary, one event log: {su['summary_images']} {ev['summary_images']}")
    xe, xs = exe_stacks(ev, "prog-stacks"), exe_stacks(su, "prog-stacks")
    if not check(xe is not None and xs is not None, "prog-stacks has stacks in both kinds"):
        return
    a, b = stack_figures(xe), stack_figures(xs)
    check(len(a) >= 5 and sorted(a) == sorted(b),
          f"the same stacks: {len(a)} {len(b)}, apart {sorted(set(a) ^ set(b))[:3]}")
    for k, v in a.items():
        check(b.get(k) == v, f"{[f[0] for f in k[:3]]}: (calls, bytes, peak, leaked bytes, blocks) "
              f"events {v}, summary {b.get(k)}")
    check(xe["total"] == xs["total"], f"totals: events {xe['total']}, summary {xs['total']}")
    check(find_row(xs["leaks"], "leak_leaf", "leak_middle", "main") is not None,
          "the summary's leaks name leak_leaf <- leak_middle <- main")
    check(find_row(xs["by_bytes"], "lib_stacks_hidden", "lib_stacks_outer", "main") is not None,
          "the dlopen'ed library's frames resolve (its MAPS entry)")
    peak = sum(r["peak_bytes"] for r in xs["by_peak"])
    check(peak == images(su)[0]["peak"], f"the summary's peak shares add up: {peak} {images(su)[0]['peak']}")
    check(texts["events"] and texts["events"] == texts["summary"],
          "the text report's call stacks are the same for both kinds")
    # Damaged stacks: FILE:2: reason, the rest of the body still read.
    d = os.path.join(tmp, "st-summary")
    f = [x for x in os.listdir(d) if ".nolog" not in x][0]
    with open(os.path.join(d, f), "rb") as fh:
        good = fh.read()
    page = summary_body_at(good)

    def word(data, off):
        return int.from_bytes(data[page + off:page + off + 8], "little")

    def varint_end(data, i):
        while data[i] & 0x80:
            i += 1
        return i + 1

    rows = (word(good, 1200) >> 32) * 64
    bad = os.path.join(tmp, "st-damaged")
    os.mkdir(bad)
    damage = {}
    x = bytearray(good)                         # the rows region past the end
    x[page + 1200:page + 1208] = ((1 << 24) << 32 | 4).to_bytes(8, "little")
    damage["rows"] = (x, r"call-stack rows \(16 at \+1073741824\) outside the body")
    x = bytearray(good)                         # row 1's calls no number
    x[page + rows + 64:page + rows + 72] = struct.pack("<d", float("nan"))
    damage["nan"] = (x, "call-stack row 1 has a figure that is no number")
    x = bytearray(good)                         # the list's first block on stack 127
    groups, data = word(good, 1176), word(good, 1184)
    i = page + data + word(good, groups + 8)
    i = varint_end(x, varint_end(x, i))
    x[i] = 127
    damage["beyond"] = (x, "1 live blocks name a call stack beyond the summary's 16 rows")
    for name, (data, why) in damage.items():
        with open(os.path.join(bad, f + "." + name), "wb") as fh:
            fh.write(data)
        r = mstat("report", "--stacks", "--json", os.path.join(bad, f + "." + name))
        j = json.loads(r.stdout) if r.returncode == 0 else None
        check(j and re.search(re.escape(f + "." + name) + ":2: " + why, r.stderr),
              f"damaged {name}: no 'FILE:2: {why}' in {r.stderr[-400:]}")
        check(j and images(j)[0]["allocations"] == images(su)[0]["allocations"],
              f"damaged {name}: the counters still read")
    r = mstat("show", os.path.join(d, f))
    check(r.returncode == 0 and re.search(r"^Call stacks: \d+ rows written of 15 \(0 bad\)", r.stdout, re.M)
          and re.search(r"requested  stack \d+$", r.stdout, re.M),
          f"show: the rows and each block's stack: {r.stdout[-600:]}")

    # A tree of processes: fork children (their stacks' peak is the own
    # heap's, inherited blocks left out), exec, spawn, a child killed.
    static = prog("prog-static")
    cmd = [prog("prog-tree"), "root"] + ([static] if os.path.exists(static) else [])
    trees = {}
    for mode in ("events", "summary"):
        p, rep, _ = run_stacks(tmp, "tr-" + mode, cmd, depth="16", more=("--" + mode,))
        trees[mode] = {x["exe"]: (stack_figures(x), x["images"]) for x in rep["stacks"]["executables"]} \
            if rep else {}
    check(trees["events"] and trees["events"] == trees["summary"],
          f"prog-tree: the stacks differ: events {trees['events']}, summary {trees['summary']}")
    # The HTML page's flame graphs have the summary's stacks.
    page = os.path.join(tmp, "st.html")
    r = mstat("report", "--html", page, os.path.join(tmp, "st-summary"))
    check(r.returncode == 0 and "heavy_site" in open(page).read(),
          f"the HTML page names the summary's stacks: {r.stderr[-300:]}")

    # Sampled: each kind draws its own samples; estimates agree, the
    # 4 x 2500-byte leak is found in both (each block sampled with
    # p = 0.91).
    reps = {}
    for mode in ("events", "summary"):
        p, rep, _ = run_stacks(tmp, "sm-" + mode, [prog("prog-stacks")], depth="16", sample="1024",
                               more=("--" + mode,))
        reps[mode] = exe_stacks(rep, "prog-stacks") if rep else None
        if not check(reps[mode] is not None and reps[mode]["sample"] == 1024,
                     f"sampled {mode}: {p.stderr[-300:]}"):
            return
    te, ts = reps["events"]["total"], reps["summary"]["total"]
    for k in ("calls", "bytes"):
        check(abs(te[k] - ts[k]) <= te[k] * 0.03, f"sampled {k}: events {te[k]}, summary {ts[k]}")
    for mode, x in reps.items():
        leak = find_row(x["leaks"], "leak_leaf", "leak_middle", "main")
        check(leak is not None and leak["leaked_bytes"] > 5000,
              f"sampled {mode}: the leak is found: {leak and leak['leaked_bytes']}")


def main():
    case = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix=f"mstat-{case}-")
    try:
        globals()["case_" + case.replace("-", "_")](tmp)
    finally:
        if failures:
            print(f"{failures} checks failed; files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
