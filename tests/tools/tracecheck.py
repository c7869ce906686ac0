# SPDX-License-Identifier: LGPL-3.0-or-later
#
# Checks a Chrome trace-event file (`malloc-stat report --trace-event`)
# against the format's rules and against the JSON report of the same logs.
# Returns a list of problems; empty when the file is right.

from collections import defaultdict

TICK_US = 4000.0   # the preload's coarse clock: an image lasts to the end of its last tick
EPS = 0.0015       # timestamps are microseconds with three decimals
TREE_PID = 1 << 22
METADATA = {"process_name": ("name", str), "process_sort_index": ("sort_index", int),
            "thread_name": ("name", str), "process_labels": ("labels", str)}


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_format(trace):
    """The format's rules: required fields, counters monotone per track,
    complete events nested or disjoint per thread, flows paired."""
    bad = []
    if not isinstance(trace, dict) or not isinstance(trace.get("traceEvents"), list):
        return ["not an object with a traceEvents list"]
    last_ts = {}
    xs = defaultdict(list)
    flows = defaultdict(dict)
    for i, e in enumerate(trace["traceEvents"]):
        ph = e.get("ph")
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int):
            bad.append(f"event {i}: pid and tid must be integers: {e}")
        if not isinstance(e.get("name"), str) or not e.get("name"):
            bad.append(f"event {i}: no name: {e}")
        if ph == "M":
            want = METADATA.get(e.get("name"))
            args = e.get("args")
            if not want or not isinstance(args, dict) or not isinstance(args.get(want[0]), want[1]):
                bad.append(f"event {i}: metadata without its argument: {e}")
            continue
        if not num(e.get("ts")) or e["ts"] < 0:
            bad.append(f"event {i}: no timestamp: {e}")
            continue
        if ph == "C":
            args = e.get("args")
            if not isinstance(args, dict) or not args or not all(num(v) for v in args.values()):
                bad.append(f"event {i}: a counter needs numeric args: {e}")
            key = (e["pid"], e["name"])
            if key in last_ts and e["ts"] <= last_ts[key]:
                bad.append(f"event {i}: counter {key} goes back in time: {last_ts[key]} then {e['ts']}")
            last_ts[key] = e["ts"]
        elif ph == "X":
            if not num(e.get("dur")) or e["dur"] < 0:
                bad.append(f"event {i}: a complete event needs dur >= 0: {e}")
                continue
            xs[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], i))
        elif ph in ("s", "f"):
            if "id" not in e or not isinstance(e.get("cat"), str):
                bad.append(f"event {i}: a flow needs id and cat: {e}")
            if ph == "f" and e.get("bp") != "e":
                bad.append(f"event {i}: a flow end binds to its enclosing slice (bp e): {e}")
            flows[e.get("id")][ph] = e
        else:
            bad.append(f"event {i}: phase {ph!r} not written by malloc-stat")
    for key, v in xs.items():
        v.sort(key=lambda s: (s[0], -s[1]))
        open_ = []
        for lo, hi, i in v:
            while open_ and open_[-1][1] <= lo + EPS:
                open_.pop()
            if open_ and hi > open_[-1][1] + EPS:
                bad.append(f"event {i}: slice {lo}-{hi} overlaps {open_[-1]} on {key} without nesting")
            open_.append((lo, hi))
    for fid, pair in flows.items():
        if set(pair) != {"s", "f"}:
            bad.append(f"flow {fid}: not a start and an end: {pair}")
            continue
        s, f = pair["s"], pair["f"]
        if f["ts"] < s["ts"]:
            bad.append(f"flow {fid}: ends before it starts")
        for ev in (s, f):
            if not any(lo - EPS <= ev["ts"] <= hi + EPS for lo, hi, _ in xs.get((ev["pid"], ev["tid"]), [])):
                bad.append(f"flow {fid}: {ev['ph']} at {ev['ts']} outside every slice of its thread")
    return bad


def check_against(trace, rep):
    """The figures against the JSON report of the same logs."""
    bad = []
    ev = trace["traceEvents"]
    names, sort = {}, {}
    for e in ev:
        if e["ph"] == "M" and e["name"] == "process_name":
            names[e["pid"]] = e["args"]["name"]
        if e["ph"] == "M" and e["name"] == "process_sort_index":
            sort[e["pid"]] = e["args"]["sort_index"]
    counters = defaultdict(list)
    for e in ev:
        if e["ph"] == "C":
            counters[(e["pid"], e["name"])].append((e["ts"], next(iter(e["args"].values()))))
    tree = lambda n: max((v for _, v in counters.get((TREE_PID, n), [])), default=None)
    if tree("tree heap") != rep["heap"]["peak_bytes"]:
        bad.append(f"tree heap counter peaks at {tree('tree heap')}, the report at {rep['heap']['peak_bytes']}")
    peaks = rep["memory"]["peaks"]
    for n, k in (("tree heap + anon mmap", "total"), ("tree resident", "rss"), ("tree anon mmap", "anon")):
        if peaks[k]["bytes"] and tree(n) != peaks[k]["bytes"]:
            bad.append(f"{n} counter peaks at {tree(n)}, the report's {k} at {peaks[k]['bytes']}")
    if max((v for _, v in counters.get((TREE_PID, "processes alive"), [])), default=0) != rep["heap"]["max_alive"]:
        bad.append("processes alive: not the report's max_alive")

    ims = {im["id"]: im for im in rep["images"]}
    slices = {}
    for e in ev:
        if e["ph"] == "X":
            img = e["args"].get("image")
            if img in slices:
                bad.append(f"image {img} has two slices")
            slices[img] = e
    placed = [im for im in rep["images"] if not im["virtual"] or im["start_time"] > 0 or
              any(c["parent"] == im["id"] for c in rep["images"])]
    for im in placed:
        s = slices.get(im["id"])
        if s is None:
            if not im["virtual"]:
                bad.append(f"image {im['id']} ({im.get('command')}) has no slice")
            continue
        if abs(s["ts"] - im["start_time"] * 1e6) > 1.0:
            bad.append(f"image {im['id']}: slice starts at {s['ts']}, the image at {im['start_time']} s")
        if s["ts"] + s["dur"] > im["end_time"] * 1e6 + TICK_US + 1.0:
            bad.append(f"image {im['id']}: slice ends after the image's last tick")
        if f"[{im['pid']}]" not in names.get(s["pid"], ""):
            bad.append(f"image {im['id']}: its track's name {names.get(s['pid'])!r} lacks its pid {im['pid']}")
        if not im["virtual"] and im["command"] not in names.get(s["pid"], "") and im["relation"] != "exec":
            bad.append(f"image {im['id']}: track name {names.get(s['pid'])!r} lacks {im['command']}")
        if s["pid"] not in sort:
            bad.append(f"image {im['id']}: its track has no sort index")
        if im["relation"] == "exec" and im["parent"] in slices:
            p = slices[im["parent"]]
            if p["pid"] != s["pid"]:
                bad.append(f"image {im['id']}: an exec'd image on another track than its predecessor")
            elif s["ts"] < p["ts"] + p["dur"] - EPS:
                bad.append(f"image {im['id']}: exec'd image starts before its predecessor ends")
        if im["relation"] in ("fork", "spawn", "clone") and im["parent"] in slices:
            ps = slices[im["parent"]]["pid"]
            if ps == s["pid"] or sort.get(ps, 1e18) >= sort.get(s["pid"], -1):
                bad.append(f"image {im['id']}: a child process must sort after its parent")
    # Per process: one track whose heap counter peaks at its images' own peaks
    # (a fork child's inherited blocks count in its parent, not here), and
    # whose counters stay within its slices.
    tracks = defaultdict(list)
    for im in placed:
        if im["id"] in slices:
            tracks[slices[im["id"]]["pid"]].append(im)
    for pid, group in tracks.items():
        lo = min(slices[im["id"]]["ts"] for im in group)
        hi = max(slices[im["id"]]["ts"] + slices[im["id"]]["dur"] for im in group)
        real = [im for im in group if not im["virtual"]]
        if len({im["pid"] for im in group}) != 1:
            bad.append(f"track {pid}: images of several pids")
        if not real:
            continue
        heap = counters.get((pid, "heap"), [])
        hmax = max((v for _, v in heap), default=0)
        want = max(im["peak"] for im in real)
        if all(im["inherited"] == 0 for im in real) and hmax != want:
            bad.append(f"track {pid} ({names.get(pid)}): heap counter peaks at {hmax}, its images at {want}")
        if hmax > want:
            bad.append(f"track {pid}: heap counter {hmax} above its images' peak {want}")
        amax = max((v for _, v in counters.get((pid, "anon mmap"), [])), default=0)
        if amax != max(im["anon_peak"] for im in real):
            bad.append(f"track {pid}: anon mmap counter peaks at {amax}, its images at "
                       f"{max(im['anon_peak'] for im in real)}")
        rmax = max((v for _, v in counters.get((pid, "resident"), [])), default=0)
        if any(im["rss_samples"] for im in real) and rmax != max(im["rss_max"] for im in real):
            bad.append(f"track {pid}: resident counter peaks at {rmax}, its samples at "
                       f"{max(im['rss_max'] for im in real)}")
        for name in ("heap", "anon mmap", "resident"):
            for t, v in counters.get((pid, name), []):
                if not lo - EPS <= t <= hi + EPS:
                    bad.append(f"track {pid}: {name} at {t} outside its lifetime {lo}-{hi}")
                    break
            c = counters.get((pid, name))
            if c and c[-1][1] != 0:
                bad.append(f"track {pid}: {name} does not return to 0 when the process is gone")
    return bad
