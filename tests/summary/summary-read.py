#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""An independent reader of summary files (doc/summary-format.md), for the
kill test: it shares no code with the tools.

    summary-read.py [--json] [--blocks] FILE...

Prints the header, the control entries (the text part, up to its first NUL),
the counters, the live blocks, the size histogram, the timeline and (body
version 4) the call stacks' rows and frames. A damaged or foreign file gives
`FILE: reason` and what could be read.
"""
import json
import math
import struct
import sys

PAGE = 4096
SB_LEN = {1: 1152, 2: 1216, 3: 1216, 4: 1280}
MASK48 = (1 << 48) - 1
CTR = ("allocations", "allocated", "deallocations", "deallocated", "in_use", "peak_in_use")


class Bad(Exception):
    pass


def decode(path):
    data = open(path, "rb").read()
    nul = data.find(b"\0")
    text = data if nul < 0 else data[:nul]
    out = {"file": path, "header": {}, "entries": [], "errors": []}
    lines = text.decode("utf-8", "replace").split("\n")
    base = None     # the body's byte offset
    frames = {}     # stack id -> return addresses, from the SITE entries
    for i, ln in enumerate(lines):
        if ln.startswith("@ ") and out["entries"] and out["entries"][-1].startswith("SITE "):
            f = ln[2:].split()
            frames[int(f[0])] = [int(a, 16) for a in f[1:]]
        elif ln.startswith("# ") and not out["entries"]:
            k, _, v = ln[2:].partition(" ")
            out["header"][k] = v
            if k == "SUMMARY":
                ver, _, pg = v.partition(" ")
                if ver not in ("1", "2"):
                    raise Bad("summary version %s" % ver)
                # 1: the body's page; 2: its 64-byte unit
                base = int(pg.strip(), 16) * (PAGE if ver == "1" else 64)
        elif ln.startswith("+ "):
            out["entries"].append(ln[2:])
    if base is None:
        raise Bad("no SUMMARY line (an event log?)")
    if base + 1280 > len(data):
        raise Bad("body at %d beyond the end (%d)" % (base, len(data)))
    sb = data[base:base + PAGE]
    if sb[:8] != b"\0MSSUM01":
        raise Bad("no body magic at %d" % base)
    ver, pgsz, table, tl, bin_ns, body_len, unk_n, unk_b = struct.unpack_from("<II6Q", sb, 8)
    if ver not in SB_LEN or pgsz != PAGE:
        raise Bad("body version %d, page size %d" % (ver, pgsz))
    if base + body_len > len(data):
        raise Bad("body of %d bytes beyond the end" % body_len)
    ctr = list(struct.unpack_from("<6Q", sb, 64))
    lost, live_n = struct.unpack_from("<2Q", sb, 112)
    hist_n = list(struct.unpack_from("<64Q", sb, 128))
    hist_b = list(struct.unpack_from("<64Q", sb, 128 + 512))
    tables = [table]
    shards = threads = 0
    if ver >= 2:
        # With threads: per-thread counts and per-shard tables, added up.
        shards, threads = struct.unpack_from("<2Q", sb, 1152)
    if threads:
        off, n = (threads >> 32) * 64, threads & 0xffffffff
        if base + off + 64 * n > len(data):
            raise Bad("thread counters beyond the end")
        for i in range(n):
            c = struct.unpack_from("<5Q", data, base + off + 64 * i)
            for k in range(5):
                ctr[k] = (ctr[k] + c[k]) % (1 << 64)
        if struct.unpack("<q", struct.pack("<Q", ctr[5]))[0] < struct.unpack("<q", struct.pack("<Q", ctr[4]))[0]:
            ctr[5] = ctr[4]
    if shards:
        off, n = (shards >> 32) * 64, shards & 0xffffffff
        if n > 64 or base + off + 1088 * n > len(data):
            raise Bad("shards beyond the end")
        tables = []
        for k in range(n):
            h = base + off + 1088 * k
            t, _live, un, ub = struct.unpack_from("<4Q", data, h)
            tables.append(t)
            unk_n += un
            unk_b += ub
            hn = struct.unpack_from("<64Q", data, h + 64)
            hb = struct.unpack_from("<64Q", data, h + 576)
            hist_n = [a + b for a, b in zip(hist_n, hn)]
            hist_b = [a + b for a, b in zip(hist_b, hb)]
    out["counters"] = {k: (v - (1 << 64) if v >= 1 << 63 else v) for k, v in zip(CTR, ctr)}
    out["unknown_frees"] = {"count": unk_n, "bytes": unk_b}
    out["lost"] = lost
    out["histogram"] = [{"log2": k, "calls": n, "bytes": b}
                        for k, (n, b) in enumerate(zip(hist_n, hist_b)) if n]
    live = {}
    nslots = 0
    for table in tables:
        toff, bits = (table >> 32) * 64, table & 0xff
        if bits > 40 or base + toff + (24 << bits) > len(data):
            raise Bad("table (%d slots at +%d) beyond the end" % (1 << bits, toff))
        nslots += 1 << bits
        tab = data[base + toff:base + toff + (24 << bits)]
        for a, u, r in struct.iter_unpack("<3Q", tab):
            if a:
                # a slot being shifted may appear twice, alike
                live[a] = (u & MASK48, r & MASK48, u >> 48 | (r >> 48) << 16) if ver >= 4 else (u, r, 0)
    # Version 4 says by its groups' offset whether there is a list.
    has_list = ver == 3 or (ver >= 4 and struct.unpack_from("<Q", sb, 1176)[0])
    packed = packed_list(data[base:base + body_len], ver) if has_list else []
    for a, u, r, st, freed in packed:
        if not freed:
            live.setdefault(a, (u, r, st))	# one resized since is in the table too
    out["live"] = [{"addr": a, "usable": u, "requested": r, "stack": st}
                   for a, (u, r, st) in sorted(live.items())]
    out["sites"] = sites(data[base:base + body_len], frames) if ver >= 4 else None
    n, shift, caplog, tloff = tl & 0xffff, (tl >> 16) & 0xff, (tl >> 24) & 0xff, (tl >> 32) * 64
    if caplog > 16 or n > 1 << caplog or base + tloff + 32 * n > len(data):
        raise Bad("timeline (%d bins at +%d) beyond the end" % (n, tloff))
    bins = data[base + tloff:base + tloff + 32 * n]
    out["timeline"] = {"bin_ns": bin_ns << shift, "bins": [
        {"start": s, "in_use_start": i - (1 << 64) if i >= 1 << 63 else i,
         "max": m - (1 << 64) if m >= 1 << 63 else m, "rss": r}
        for s, i, m, r in struct.iter_unpack("<QqqQ", bins)]}
    out["body"] = {"offset": base, "length": body_len, "version": ver, "table_slots": nslots,
                   "packed": len(packed), "packed_freed": sum(p[4] for p in packed),
                   "shards": len(tables) if shards else 0}
    return out


def varint(body, i, end):
    v = s = 0
    while True:
        if i >= end or s > 63:
            raise Bad("packed list: an entry runs past its group")
        c = body[i]
        i += 1
        v |= (c & 0x7f) << s
        s += 7
        if not c & 0x80:
            if v >> 64:
                raise Bad("packed list: a number beyond 64 bits")
            return v, i


def sites(body, frames):
    """Version 4: the call stacks' rows (doc/summary-format.md), each with
    its figures held at the peak (live ones when unchanged since), and the
    frames of the SITE entries."""
    word, used, clock, peak_stamp, peak_heap = struct.unpack_from("<4Qq", body, 1200)
    off, bits = (word >> 32) * 64, word & 0xff
    if word and (bits > 32 or off < 1280 or off + (64 << bits) > len(body)):
        raise Bad("call-stack rows (%d at +%d) outside the body" % (1 << bits, off))
    rows = []
    for i in range(1, 1 << bits if word else 0):
        f = struct.unpack_from("<6dQ", body, off + 64 * i)
        if not f[6] and not any(f[:6]):
            continue
        if not all(math.isfinite(x) and abs(x) <= 2 ** 64 for x in f[:6]):
            raise Bad("call-stack row %d: a figure that is no number or beyond 2^64" % i)
        held = f[6] <= peak_stamp
        rows.append({"id": i, "calls": f[0], "bytes": f[1], "live_calls": f[2], "live_bytes": f[3],
                     "peak_calls": f[2] if held else f[4], "peak_bytes": f[3] if held else f[5],
                     "stamp": f[6], "frames": frames.get(i)})
    return {"rows_cap": 1 << bits if word else 0, "used": used, "clock": clock,
            "peak_stamp": peak_stamp, "peak_heap": peak_heap, "rows": rows,
            "frames": {str(k): v for k, v in frames.items()}}


def packed_list(body, ver):
    """Version 3 on: the blocks packed at the last rebuild, as (address,
    usable, requested, stack id, freed since) (doc/summary-format.md)."""
    n, idx, doff, dlen = struct.unpack_from("<4Q", body, 1168)
    groups = (n + 63) // 64
    sb = SB_LEN[ver]
    if (idx < sb or idx + 24 * groups > len(body) or doff < sb or doff + dlen > len(body)):
        raise Bad("packed list (%d blocks, groups at +%d, %d bytes at +%d) outside the body"
                  % (n, idx, dlen, doff))
    out, at, prev = [], 0, 0
    for g in range(groups):
        addr, off, freed = struct.unpack_from("<3Q", body, idx + 24 * g)
        cnt = min(64, n - 64 * g)
        end = struct.unpack_from("<Q", body, idx + 24 * g + 32)[0] if g + 1 < groups else dlen
        if off != at or end > dlen or addr <= prev or freed >> cnt:
            raise Bad("packed list: group %d impossible" % g)
        i, stop = doff + off, doff + end
        for k in range(cnt):
            if k:
                d, i = varint(body, i, stop)
                if not d:
                    raise Bad("packed list: group %d out of order" % g)
                addr += d
            u, i = varint(body, i, stop)
            z, i = varint(body, i, stop)
            st = 0
            if ver >= 4:
                st, i = varint(body, i, stop)
            r = u - ((z >> 1) ^ -(z & 1))
            if addr >> 64 or r < 0 or r >> 64:
                raise Bad("packed list: group %d impossible" % g)
            out.append((addr, u, r, st, freed >> k & 1))
        if i != stop:
            raise Bad("packed list: group %d has %d bytes left" % (g, stop - i))
        at, prev = end, addr
    if at != dlen:
        raise Bad("packed list: %d bytes after its last group" % (dlen - at))
    return out


def show(o, blocks):
    h = o["header"]
    print("%s: pid %s %s" % (o["file"], h.get("PID"), h.get("CMDLINE", "")))
    print("  body at %(offset)d, %(length)d bytes, version %(version)d, %(table_slots)d slots, "
          "%(packed)d packed" % o["body"])
    print("  " + " ".join("%s=%d" % kv for kv in o["counters"].items()))
    live = o["live"]
    print("  live blocks %d, %d usable bytes; unknown frees %d (%d bytes); lost %d" % (
        len(live), sum(b["usable"] for b in live), o["unknown_frees"]["count"],
        o["unknown_frees"]["bytes"], o["lost"]))
    fini = [e for e in o["entries"] if e.startswith("FINI")]
    print("  entries %d, %s" % (len(o["entries"]), "FINI" if fini else "no FINI (died)"))
    print("  sizes: " + " ".join("2^%d:%d" % (b["log2"], b["calls"]) for b in o["histogram"]))
    tl = o["timeline"]
    print("  timeline: %d bins of %g ms, peak %d" % (
        len(tl["bins"]), tl["bin_ns"] / 1e6, max((b["max"] for b in tl["bins"]), default=0)))
    st = o["sites"]
    if st is not None:
        print("  stacks: %d rows of %d, clock %d, peak at stamp %d (own heap %d); %d live blocks "
              "with a stack, %d bytes in the rows" % (
                  len(st["rows"]), st["rows_cap"], st["clock"], st["peak_stamp"], st["peak_heap"],
                  sum(1 for b in live if b["stack"]), sum(r["live_bytes"] for r in st["rows"])))
    if blocks:
        for b in live:
            print("    0x%x %d %d%s" % (b["addr"], b["usable"], b["requested"],
                                      " stack %d" % b["stack"] if b["stack"] else ""))


def main(argv):
    as_json = "--json" in argv
    blocks = "--blocks" in argv
    rc = 0
    res = []
    for p in [a for a in argv if not a.startswith("--")]:
        try:
            o = decode(p)
        except (Bad, OSError, struct.error) as e:
            print("%s: %s" % (p, e), file=sys.stderr)
            rc = 1
            continue
        if as_json:
            res.append(o)
        else:
            show(o, blocks)
    if as_json:
        json.dump(res, sys.stdout)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
