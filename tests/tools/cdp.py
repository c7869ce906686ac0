#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-3.0-or-later
#
# Headless Chromium driven through the DevTools protocol over a pipe
# (--remote-debugging-pipe: NUL-separated JSON on descriptors 3 and 4), so
# the tests need no WebSocket library: load a page, run script in it, click
# and move the mouse as a person would, take screenshots. Also a small PNG
# reader to look at the pixels of a screenshot.
#
#   cdp.py shots PAGE.html OUTDIR   screenshots of the chart, a sorted table
#                                   and a flame graph (doc/img/)

import base64
import fcntl
import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]


class Error(Exception):
    pass


class Browser:
    def __init__(self, chrome, profile=None, width=1280, height=900):
        self.profile = profile or tempfile.mkdtemp(prefix="mstat-chrome-")
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        # High numbers first, so that putting them on 3 and 4 clobbers nothing.
        a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 20)
        b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 20)

        def child():
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.p = subprocess.Popen(
            [chrome, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=child, pass_fds=(3, 4, a, b))
        for fd in (to_r, from_w, a, b):
            os.close(fd)
        self.w = os.fdopen(to_w, "wb", buffering=0)
        self.r = os.fdopen(from_r, "rb", buffering=0)
        self.next_id = 0
        self.replies = {}
        self.cond = threading.Condition()
        self.events = queue.Queue()
        self.dead = False
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()
        t = self.call("Target.getTargets")
        page = [x for x in t["targetInfos"] if x["type"] == "page"]
        if not page:
            page = [{"targetId": self.call("Target.createTarget", url="about:blank")["targetId"]}]
        self.session = self.call("Target.attachToTarget", targetId=page[0]["targetId"],
                                 flatten=True)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.size(width, height)

    def _drain(self):
        for _ in self.p.stderr:
            pass

    def _reader(self):
        buf = b""
        while True:
            chunk = self.r.read(65536)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                m = json.loads(msg)
                if "id" in m:
                    with self.cond:
                        self.replies[m["id"]] = m
                        self.cond.notify_all()
                else:
                    self.events.put(m)
        with self.cond:
            self.dead = True
            self.cond.notify_all()

    def call(self, method, session=None, timeout=60, **params):
        self.next_id += 1
        i = self.next_id
        msg = {"id": i, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.w.write(json.dumps(msg).encode() + b"\0")
        with self.cond:
            if not self.cond.wait_for(lambda: i in self.replies or self.dead, timeout):
                raise Error(f"{method}: no answer from chromium")
            if self.dead and i not in self.replies:
                raise Error(f"{method}: chromium went away")
            m = self.replies.pop(i)
        if "error" in m:
            raise Error(f"{method}: {m['error']}")
        return m.get("result", {})

    def send(self, method, **params):
        return self.call(method, session=self.session, **params)

    def size(self, width, height):
        self.width = width
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def wait_event(self, name, timeout=60):
        while True:
            try:
                m = self.events.get(timeout=timeout)
            except queue.Empty:
                raise Error(f"no {name} event")
            if m.get("method") == name:
                return m

    def open(self, url):
        while not self.events.empty():
            self.events.get()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def js(self, expr):
        """The value of a JavaScript expression (awaited when a promise)."""
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise Error(f"script failed: {r['exceptionDetails'].get('exception', {}).get('description', r)}")
        return r["result"].get("value")

    def center(self, selector):
        """Scrolls the element into view; its centre in the viewport."""
        r = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.scrollIntoView({{block: 'center'}});
            const b = e.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2]; }})()""")
        if r is None:
            raise Error(f"no element {selector}")
        return r

    def mouse(self, kind, x, y, button="left"):
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button=button,
                  buttons=1 if kind != "mouseReleased" and button == "left" else 0,
                  clickCount=1 if kind in ("mousePressed", "mouseReleased") else 0)

    def click(self, selector=None, at=None):
        x, y = at or self.center(selector)
        self.mouse("mouseMoved", x, y, button="none")
        self.mouse("mousePressed", x, y)
        self.mouse("mouseReleased", x, y)

    def drag(self, x0, y0, x1, y1, steps=8):
        self.mouse("mouseMoved", x0, y0, button="none")
        self.mouse("mousePressed", x0, y0)
        for i in range(1, steps + 1):
            self.mouse("mouseMoved", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
        self.mouse("mouseReleased", x1, y1)

    def type(self, selector, text):
        self.click(selector)
        self.send("Input.insertText", text=text)

    def screenshot(self, selector, path, pad=8):
        """A PNG of the element (with pad pixels around), written to path."""
        b = self.js(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            e.scrollIntoView({{block: 'start'}}); const b = e.getBoundingClientRect();
            return [b.left + scrollX, b.top + scrollY, b.width, b.height]; }})()""")
        x, y, w, h = b
        r = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": max(0, x - pad), "y": max(0, y - pad), "width": w + 2 * pad,
                            "height": h + 2 * pad, "scale": 1})
        data = base64.b64decode(r["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Error:
            pass
        try:
            self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def png_pixels(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Error("not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise Error(f"PNG depth {depth} colour type {ctype} not read here")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def shots(page, outdir):
    """The README's pictures: the chart zoomed on nothing, the processes table
    sorted by a click, the whole tree's flame graph."""
    chrome = "/usr/bin/chromium"
    br = Browser(chrome, width=1280, height=900)
    try:
        br.open("file://" + os.path.abspath(page))
        br.js("document.body.dataset.ready")
        br.screenshot("#chart-box", os.path.join(outdir, "report-chart.png"))
        col = br.js("[...document.querySelectorAll('#procs-table th')].findIndex(t => t.textContent == 'resident')")
        br.click(f"#procs-table th:nth-child({col + 1})")
        br.js("""[...document.querySelectorAll('#procs-table tbody tr')].slice(12).forEach(r => r.remove());
                 document.querySelector('#procs .more').textContent = 'top 12 of ' +
                   document.querySelector('#procs .tbar .muted').textContent + ' shown'""")
        br.screenshot("#procs", os.path.join(outdir, "report-table.png"))
        if br.js("!!document.getElementById('flame-graph')"):
            br.screenshot("#flame", os.path.join(outdir, "report-flame.png"))
    finally:
        br.close()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "shots":
        shots(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: cdp.py shots PAGE.html OUTDIR")
