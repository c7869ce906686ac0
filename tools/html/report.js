// SPDX-License-Identifier: LGPL-3.0-or-later
//
// The HTML report's page: reads the data that report-html.c embedded
// (<script id=data>) and draws the tree's memory over time (zoom by
// dragging), the processes alive in the range shown, one process's own
// curve, sortable and filterable tables and flame graphs. Nothing is
// fetched; no library. Inlined into the page at build time (embed.py).
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var COLS = { heap: '#3478c8', anon: '#d08a1c', total: '#9a9a9a', rss: '#2a9d4b' };
  var NAMES = { heap: 'malloc heap', anon: 'anonymous mmap', total: 'heap + anon mmap', rss: 'resident' };
  var ENDS = ['died', 'exit', 'exec'];
  var RELS = ['root', 'fork', 'clone', 'spawn', 'exec'];

  // ---- formatting, as the text report does ----
  function bytes(v) {
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], i = 0, a = Math.abs(v), s = v < 0 ? '-' : '';
    if (a < 1024) return s + Math.round(a) + ' B';
    while (a >= 1024 && i < 5) { a /= 1024; i++; }
    return s + (a < 10 ? a.toFixed(2) : a < 100 ? a.toFixed(1) : a.toFixed(0)) + ' ' + u[i];
  }
  function count(v) {
    var u = 'kMGTP', i = -1;
    if (v < 10000) return String(Math.round(v));
    while (v >= 1000 && i < 4) { v /= 1000; i++; }
    return (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)) + u[i];
  }
  function secs(v) { return v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1) + ' s'; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function niceStep(max, n) {
    var raw = max / (n || 5), p = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
  }
  function byteStep(max, n) {
    var unit = 1;
    while (unit * 1024 <= max / 2) unit *= 1024;
    return niceStep(max / unit, n) * unit;
  }

  // ---- processes ----
  // P[i]: [id, parent, pid, cmd, start, end, peak, anon, total, rss, allocs, frees, allocated,
  //        leaked bytes, leaked blocks, end, relation, virtual, inherited]
  var P = D.procs, byId = {};
  var F = { id: 0, parent: 1, pid: 2, cmd: 3, start: 4, end: 5, peak: 6, anon: 7, total: 8, rss: 9,
            allocs: 10, frees: 11, allocated: 12, leaked: 13, lblocks: 14, endc: 15, rel: 16, virt: 17,
            inh: 18 };
  P.forEach(function (p, i) { byId[p[F.id]] = i; });
  function cmdName(p) { return p[F.virt] ? '(not traced)' : D.cmds[p[F.cmd]][0]; }
  function procLabel(p) { return cmdName(p) + ' [' + p[F.pid] + ']'; }

  // ---- the chart of the whole tree ----
  var S = D.series, view = { a: 0, b: D.duration || S.step * S.heap.length || 1 };
  var shown = { total: D.have_anon || D.have_rss, heap: true, anon: D.have_anon, rss: D.have_rss };

  // A memory chart into box: series {name: [values]} on t0 + i*step, x
  // range [a, b]; marks: [{t, v, label, color, id}]. Returns the svg.
  function chart(box, o) {
    box.textContent = '';
    var W = Math.max(320, box.clientWidth || 960), H = o.height || (W < 600 ? 220 : 300);
    var ML = W < 600 ? 56 : 72, MR = 14, MT = 12, MB = 34, pw = W - ML - MR, ph = H - MT - MB;
    var s = svg('svg', { id: o.id, width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
                         'aria-label': o.label });
    var i0 = Math.max(0, Math.floor((o.a - o.t0) / o.step)), i1 = Math.min(o.n, Math.ceil((o.b - o.t0) / o.step) + 1);
    var ymax = 0;
    o.keys.forEach(function (k) {
      var v = o.series[k];
      for (var i = i0; i < i1; i++) if (v[i] > ymax) ymax = v[i];
    });
    ymax = ymax > 0 ? ymax * 1.08 : 1024;
    var X = function (t) { return ML + (t - o.a) / (o.b - o.a) * pw; };
    var Y = function (v) { return MT + ph - v / ymax * ph; };
    s.appendChild(svg('rect', { x: ML, y: MT, width: pw, height: ph, fill: '#fafafa', stroke: '#ccc' }));
    var ys = byteStep(ymax, H < 250 ? 4 : 5);
    for (var y = 0; y <= ymax; y += ys) {
      s.appendChild(svg('line', { x1: ML, x2: ML + pw, y1: Y(y), y2: Y(y), stroke: '#e6e6e6' }));
      var t = svg('text', { x: ML - 5, y: Y(y) + 4, 'text-anchor': 'end' });
      t.textContent = bytes(y);
      s.appendChild(t);
    }
    var xs = niceStep(o.b - o.a, W < 600 ? 4 : 8);
    for (var x = Math.ceil(o.a / xs) * xs; x <= o.b + 1e-9; x += xs) {
      s.appendChild(svg('line', { x1: X(x), x2: X(x), y1: MT, y2: MT + ph, stroke: '#e6e6e6' }));
      var tx = svg('text', { x: X(x), y: MT + ph + 15, 'text-anchor': 'middle' });
      tx.textContent = +x.toPrecision(6) + ' s';
      s.appendChild(tx);
    }
    var cap = svg('text', { x: ML + pw / 2, y: H - 3, 'text-anchor': 'middle', 'class': 'cap' });
    cap.textContent = o.caption || 'seconds since the first process started';
    s.appendChild(cap);
    var clip = svg('clipPath', { id: o.id + '-clip' });
    clip.appendChild(svg('rect', { x: ML, y: MT, width: pw, height: ph }));
    s.appendChild(clip);
    // Steps: each point holds from its time to the next one's; where
    // points are denser than pixels, the highest of each pixel's points.
    ['total', 'heap', 'anon', 'rss'].forEach(function (k) {
      if (o.keys.indexOf(k) < 0) return;
      var v = o.series[k], fill = k === 'total' || k === 'heap', d = [];
      var from = Math.max(0, i0 - 1), to = Math.min(o.n, i1 + 1), g = Math.max(1, Math.floor((to - from) / pw));
      d.push('M' + X(o.t0 + from * o.step).toFixed(1) + ' ' + Y(0).toFixed(1));
      for (var i = from; i < to; i += g) {
        var m = v[i];
        for (var j = i + 1; j < i + g && j < to; j++) if (v[j] > m) m = v[j];
        var x0 = X(o.t0 + i * o.step), x1 = X(o.t0 + Math.min(i + g, to) * o.step), yy = Y(m);
        d.push('L' + x0.toFixed(1) + ' ' + yy.toFixed(1) + ' L' + x1.toFixed(1) + ' ' + yy.toFixed(1));
      }
      d.push('L' + X(o.t0 + to * o.step).toFixed(1) + ' ' + Y(0).toFixed(1));
      if (fill) d.push('Z');
      s.appendChild(svg('path', {
        id: (o.prefix || '') + (k === 'total' ? 'total-area' : k + '-line'), d: d.join(' '),
        fill: fill ? COLS[k] : 'none', 'fill-opacity': k === 'total' ? 0.2 : 0.28, stroke: COLS[k],
        'stroke-width': k === 'total' ? 0.8 : 1.4, 'clip-path': 'url(#' + o.id + '-clip)'
      }));
    });
    (o.marks || []).forEach(function (m) {
      if (m.t < o.a || m.t > o.b) return;
      var c = svg('circle', { id: m.id, cx: X(m.t), cy: Y(m.v), r: 4, fill: m.color });
      s.appendChild(c);
      var right = X(m.t) > ML + pw * 0.65;
      var t = svg('text', { x: X(m.t) + (right ? -8 : 8), y: Y(m.v) + (m.dy || 4), fill: m.color,
                            'text-anchor': right ? 'end' : 'start', 'class': 'mark' });
      t.textContent = m.label;
      s.appendChild(t);
    });
    var cursor = svg('line', { y1: MT, y2: MT + ph, stroke: '#555', 'stroke-dasharray': '3 3', visibility: 'hidden' });
    var sel = svg('rect', { y: MT, height: ph, fill: 'rgba(52,120,200,0.15)', visibility: 'hidden' });
    s.appendChild(sel);
    s.appendChild(cursor);
    box.appendChild(s);
    s.geom = { ML: ML, pw: pw, X: X, T: function (px) { return o.a + (px - ML) / pw * (o.b - o.a); },
               cursor: cursor, sel: sel };
    return s;
  }

  // The whole tree's chart, its legend, read-out, zoom and the processes alive.
  function treeChart() {
    var box = document.getElementById('chart'), keys = [];
    for (var k in shown) if (shown[k]) keys.push(k);
    var marks = [{ id: 'heap-peak', t: D.peaks.heap[1] + S.step / 2, v: D.peaks.heap[0], color: '#c83434',
                   label: 'heap peak ' + bytes(D.peaks.heap[0]) + ' at ' + secs(D.peaks.heap[1]) }];
    if (shown.total && D.peaks.total[0] > D.peaks.heap[0])
      marks.push({ id: 'total-peak', t: D.peaks.total[1] + S.step / 2, v: D.peaks.total[0], color: '#555', dy: -6,
                   label: 'heap + anon ' + bytes(D.peaks.total[0]) + ' at ' + secs(D.peaks.total[1]) });
    var s = chart(box, { id: 'heap-chart', label: 'memory of the whole tree over time', series: S, keys: keys,
                         t0: 0, step: S.step, n: S.heap.length, a: view.a, b: view.b, marks: marks });
    var g = s.geom, out = document.getElementById('readout'), drag = null;
    function at(e) { var r = s.getBoundingClientRect(); return (e.clientX - r.left) * s.width.baseVal.value / r.width; }
    s.addEventListener('pointermove', function (e) {
      var px = at(e), t = g.T(px), i = Math.floor(t / S.step);
      if (px < g.ML || px > g.ML + g.pw || i < 0 || i >= S.heap.length) {
        g.cursor.setAttribute('visibility', 'hidden');
        return;
      }
      g.cursor.setAttribute('x1', px); g.cursor.setAttribute('x2', px);
      g.cursor.setAttribute('visibility', 'visible');
      var txt = secs(i * S.step) + ': ';
      keys.forEach(function (k) { txt += NAMES[k] + ' ' + bytes(S[k][i]) + ', '; });
      out.textContent = txt + S.alive[i] + ' processes alive';
      if (drag !== null) {
        g.sel.setAttribute('x', Math.min(drag, px)); g.sel.setAttribute('width', Math.abs(px - drag));
        g.sel.setAttribute('visibility', 'visible');
      }
    });
    s.addEventListener('pointerleave', function () { g.cursor.setAttribute('visibility', 'hidden'); });
    // A drag selects a range; the release may come anywhere on the page.
    s.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) return;
      drag = at(e);
      e.preventDefault();
      window.addEventListener('pointerup', function up(ev) {
        window.removeEventListener('pointerup', up);
        var a = g.T(Math.min(drag, at(ev))), b = g.T(Math.max(drag, at(ev)));
        drag = null;
        if (b - a > S.step / 2 && Math.abs(g.X(b) - g.X(a)) > 4) zoom(Math.max(0, a), Math.min(D.duration, b));
        else g.sel.setAttribute('visibility', 'hidden');
      });
    });
  }

  function zoom(a, b) {
    view.a = a; view.b = b;
    var full = a <= 0 && b >= D.duration;
    document.getElementById('zoom-reset').disabled = full;
    document.getElementById('zoom-out').disabled = full;
    document.getElementById('range').textContent = full ? 'the whole run (drag across the chart to zoom)' :
      secs(a) + ' to ' + secs(b) + ' (' + secs(b - a) + ')';
    treeChart();
    alive();
  }

  function legend() {
    var box = document.getElementById('legend');
    ['heap', 'total', 'anon', 'rss'].forEach(function (k) {
      if ((k === 'anon' && !D.have_anon) || (k === 'rss' && !D.have_rss) || (k === 'total' && !D.have_anon && !D.have_rss)) return;
      var l = el('label'), c = el('input', { type: 'checkbox', 'data-curve': k });
      c.checked = shown[k];
      c.addEventListener('change', function () { shown[k] = c.checked; treeChart(); });
      var sw = el('span', { 'class': 'swatch' });
      sw.style.background = COLS[k];
      l.appendChild(c); l.appendChild(sw); l.appendChild(document.createTextNode(NAMES[k]));
      box.appendChild(l);
    });
  }

  // ---- tables: sortable (click a header), filterable, the top rows first ----
  function table(box, o) {
    var st = { key: o.sort, desc: o.desc !== false, filter: '', limit: o.limit || 25 };
    var head = el('div', { 'class': 'tbar' });
    var f = el('input', { type: 'search', placeholder: 'filter ' + (o.what || 'rows'), 'aria-label': 'filter' });
    var info = el('span', { 'class': 'muted' });
    head.appendChild(f); head.appendChild(info);
    var wrap = el('div', { 'class': 'twrap' }), t = el('table', { id: o.id, 'class': 'sortable' });
    var thead = el('thead'), tr = el('tr'), tbody = el('tbody');
    var more = el('div', { 'class': 'more' });
    o.cols.forEach(function (c, ci) {
      var th = el('th', { 'data-col': ci, 'class': c.num ? '' : 'l', title: c.title || 'sort', tabindex: 0 }, c.label);
      function sort() {
        if (st.key === ci) st.desc = !st.desc;
        else { st.key = ci; st.desc = !!c.num; }
        draw();
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
      });
      tr.appendChild(th);
    });
    thead.appendChild(tr); t.appendChild(thead); t.appendChild(tbody); wrap.appendChild(t);
    box.textContent = '';
    box.appendChild(head); box.appendChild(wrap); box.appendChild(more);
    f.addEventListener('input', function () { st.filter = f.value.toLowerCase(); st.limit = o.limit || 25; draw(); });
    function val(r, c) { return c.get(r); }
    function draw() {
      var rows = o.rows();
      if (st.filter) rows = rows.filter(function (r) {
        return o.cols.some(function (c) { return !c.num && String(val(r, c)).toLowerCase().indexOf(st.filter) >= 0; });
      });
      var c = o.cols[st.key], sign = st.desc ? -1 : 1;
      rows = rows.slice().sort(function (x, y) {
        var a = val(x, c), b = val(y, c);
        return (a < b ? -1 : a > b ? 1 : 0) * sign;
      });
      Array.prototype.forEach.call(tr.children, function (th, i) {
        th.className = (o.cols[i].num ? '' : 'l') + (i === st.key ? (st.desc ? ' desc' : ' asc') : '');
        th.setAttribute('aria-sort', i === st.key ? (st.desc ? 'descending' : 'ascending') : 'none');
      });
      tbody.textContent = '';
      var n = Math.min(rows.length, st.limit);
      for (var i = 0; i < n; i++) {
        var row = el('tr');
        o.cols.forEach(function (c) {
          var v = val(rows[i], c), td = el('td', { 'class': (c.num ? '' : 'l') + (c.cls ? ' ' + c.cls : '') }, c.fmt ? c.fmt(v, rows[i]) : v);
          if (c.num) td.setAttribute('data-v', v);
          if (c.cls === 'cl') td.title = v;
          row.appendChild(td);
        });
        if (o.click) {
          (function (r) { row.addEventListener('click', function () { o.click(r); }); })(rows[i]);
          row.className = 'click';
        }
        tbody.appendChild(row);
      }
      info.textContent = rows.length === o.rows().length ? rows.length + ' ' + (o.what || 'rows') :
        rows.length + ' of ' + o.rows().length + ' ' + (o.what || 'rows');
      more.textContent = '';
      if (rows.length > n) {
        var b1 = el('button', { 'class': 'show-more' }, 'show ' + Math.min(100, rows.length - n) + ' more');
        b1.addEventListener('click', function () { st.limit += 100; draw(); });
        var b2 = el('button', { 'class': 'show-all' }, 'show all ' + rows.length);
        b2.addEventListener('click', function () { st.limit = Infinity; draw(); });
        more.appendChild(el('span', { 'class': 'muted' }, 'top ' + n + ' shown '));
        more.appendChild(b1); more.appendChild(b2);
      }
    }
    draw();
    return { draw: draw };
  }

  var numc = function (label, k, fmt, title) {
    return { label: label, num: true, get: function (p) { return p[k]; }, fmt: fmt || bytes, title: title };
  };
  var procCols = [
    numc('peak heap', F.peak, null, 'highest heap in use'),
    numc('anon mmap', F.anon, null, 'highest anonymous mappings'),
    numc('heap+anon', F.total, null, 'highest heap + anonymous mmap at one moment'),
    numc('resident', F.rss, function (v) { return v ? bytes(v) : '-'; }, 'peak resident size'),
    numc('allocs', F.allocs, count),
    numc('leaked', F.leaked, function (v) { return v ? bytes(v) : '-'; }),
    numc('start', F.start, secs), numc('end', F.end, secs),
    { label: 'ended', get: function (p) { return ENDS[p[F.endc]]; }, title: 'exit, exec or died (no FINI: a signal, _exit)' },
    { label: 'pid', num: true, get: function (p) { return p[F.pid]; }, fmt: String },
    { label: 'command', get: function (p) { return cmdName(p); } },
    { label: 'command line', cls: 'cl', get: function (p) { return D.argv[byId[p[F.id]]] || ''; } }
  ];
  var realProcs = P.filter(function (p) { return !p[F.virt]; });

  var aliveTable;
  function alive() {
    if (!aliveTable) {
      aliveTable = table(document.getElementById('alive'), {
        id: 'alive-table', what: 'processes', sort: 0, limit: 15, cols: procCols, click: showProc,
        rows: function () {
          return realProcs.filter(function (p) { return p[F.start] <= view.b && p[F.end] + S.tick >= view.a; });
        }
      });
    } else aliveTable.draw();
  }

  // ---- one process ----
  function showProc(p) {
    var box = document.getElementById('proc'), i = byId[p[F.id]];
    box.hidden = false;
    box.textContent = '';
    var h = el('h3', {}, procLabel(p));
    var close = el('button', { 'class': 'close', 'aria-label': 'close' }, '\u00d7');
    close.addEventListener('click', function () { box.hidden = true; });
    h.appendChild(close);
    box.appendChild(h);
    if (D.argv[i]) box.appendChild(el('div', { 'class': 'argv' }, D.argv[i]));
    var dl = el('dl', { 'class': 'figures' });
    function fig(k, v, click) {
      var dd = el('dd', {}, v);
      if (click) { dd.className = 'link'; dd.addEventListener('click', click); }
      dl.appendChild(el('dt', {}, k)); dl.appendChild(dd);
    }
    fig('lifetime', secs(p[F.start]) + ' \u2192 ' + secs(p[F.end]) + ' (' + secs(p[F.end] - p[F.start]) + ')');
    fig('how', RELS[p[F.rel]] + ', ended by ' + ENDS[p[F.endc]]);
    if (p[F.parent] !== null && byId[p[F.parent]] !== undefined) {
      var par = P[byId[p[F.parent]]];
      fig('parent', procLabel(par), function () { showProc(par); });
    }
    var kids = P.filter(function (q) { return q[F.parent] === p[F.id]; });
    if (kids.length) fig('children', kids.length + ' (' + kids.slice(0, 3).map(cmdName).join(', ') + (kids.length > 3 ? ', ...' : '') + ')');
    if (!p[F.virt]) {
      fig('peak heap', bytes(p[F.peak]) + (p[F.inh] ? ' (' + bytes(p[F.inh]) + ' inherited at fork)' : ''));
      fig('anon mmap peak', bytes(p[F.anon]));
      fig('heap + anon peak', bytes(p[F.total]));
      fig('resident peak', p[F.rss] ? bytes(p[F.rss]) : '-');
      fig('allocations', count(p[F.allocs]) + ', ' + bytes(p[F.allocated]));
      fig('frees', count(p[F.frees]));
      fig('leaked', p[F.leaked] ? bytes(p[F.leaked]) + ' in ' + p[F.lblocks] + ' blocks' : 'nothing');
    }
    box.appendChild(dl);
    var c = D.curves[p[F.id]];
    if (c && c.length >= 4) {
      // [ms from start, heap, total, rss] per point: steps from each point on.
      var n = c.length / 4, dur = Math.max(p[F.end] - p[F.start] + S.tick, 1e-3);
      var step = dur / 400, m = 400, ser = { heap: [], total: [], rss: [] }, j = 0;
      for (var b = 0; b < m; b++) {
        var t = b * step;
        while (j + 1 < n && c[(j + 1) * 4] / 1000 <= t) j++;
        ser.heap.push(c[j * 4 + 1]); ser.total.push(c[j * 4 + 2]); ser.rss.push(c[j * 4 + 3]);
      }
      var keys = ['heap'];
      if (p[F.total] > p[F.peak]) keys.push('total');
      if (p[F.rss]) keys.push('rss');
      var cb = el('div', { 'class': 'chart small' });
      box.appendChild(cb);
      chart(cb, { id: 'proc-chart', prefix: 'proc-', label: 'memory of ' + procLabel(p), series: ser, keys: keys, t0: 0,
                  step: step, n: m, a: 0, b: dur, height: 200, caption: 'seconds since the process started' });
      if (c.length / 4 >= D.curve_cap) box.appendChild(el('p', { 'class': 'muted' }, 'Curve kept at ' + D.curve_cap + ' points (highest of each stretch).'));
    }
    box.scrollIntoView({ block: 'nearest' });
  }

  // ---- flame graphs ----
  function flame() {
    var box = document.getElementById('flame');
    if (!box || !D.flame) return;
    var FL = D.flame, metric = 0, exe = -1, root = null, focus = null, query = '';
    var MET = ['bytes allocated', 'bytes live at the heap peak', 'bytes leaked'];
    var ctl = el('div', { 'class': 'tbar' });
    var selE = el('select', { id: 'flame-exe', 'aria-label': 'executable' });
    selE.appendChild(el('option', { value: -1 }, 'whole tree'));
    FL.exes.forEach(function (x, i) { selE.appendChild(el('option', { value: i }, x.name + ' (' + x.images + ')')); });
    var selM = el('select', { id: 'flame-metric', 'aria-label': 'metric' });
    MET.forEach(function (m, i) { selM.appendChild(el('option', { value: i }, m)); });
    var q = el('input', { type: 'search', id: 'flame-search', placeholder: 'search functions', 'aria-label': 'search' });
    var reset = el('button', { id: 'flame-reset' }, 'reset zoom');
    var info = el('span', { id: 'flame-info', 'class': 'muted' });
    [selE, selM, q, reset, info].forEach(function (e) { ctl.appendChild(e); });
    var note = el('p', { id: 'flame-note', 'class': 'muted' });
    var g = el('div', { id: 'flame-graph', 'class': 'flame' });
    var tip = el('div', { 'class': 'tip', hidden: '' });
    box.appendChild(ctl); box.appendChild(note); box.appendChild(g); box.appendChild(tip);

    function build() {
      var r = { name: exe < 0 ? 'all' : FL.exes[exe].name, v: 0, kids: {}, parent: null, depth: 0 };
      (exe < 0 ? FL.exes : [FL.exes[exe]]).forEach(function (x) {
        var top = r;
        if (exe < 0) {
          top = r.kids[x.name] || (r.kids[x.name] = { name: x.name, loc: x.exe, v: 0, kids: {}, parent: r, depth: 1 });
        }
        x.stacks.forEach(function (s) {
          var v = s[metric];
          if (!(v > 0)) return;
          var n = top;
          n.v += v;
          if (top !== r) r.v += v;
          for (var i = 3; i < s.length; i++) {
            var fr = FL.frames[s[i]], name = FL.names[fr[0]];
            var k = n.kids[name];
            if (!k) k = n.kids[name] = { name: name, loc: fr[1], v: 0, kids: {}, parent: n, depth: n.depth + 1 };
            else if (k.loc !== fr[1] && k.loc.indexOf('elsewhere') < 0) k.loc += ' (and elsewhere)';
            k.v += v;
            n = k;
          }
        });
      });
      return r;
    }
    function color(name, hit) {
      if (hit) return '#e040c0';
      var h = 0;
      for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
      h = Math.abs(h);
      return 'hsl(' + (10 + h % 45) + ',' + (70 + h % 20) + '%,' + (58 + (h >> 4) % 16) + '%)';
    }
    function fmtv(v) { return (sampled() ? '\u2248 ' : '') + bytes(v); }
    function sampled() { return (exe < 0 ? FL.exes : [FL.exes[exe]]).some(function (x) { return x.sample > 0; }); }
    function draw() {
      g.textContent = '';
      var W = g.clientWidth || 900, RH = 18, rows = 0, matched = 0;
      var base = focus || root, total = root.v;
      if (!root.v) {
        g.appendChild(el('p', { 'class': 'muted' }, 'No ' + MET[metric] + ' with a recorded stack.'));
        info.textContent = '';
        return;
      }
      // Ancestors of the focus, full width above it.
      var chain = [];
      for (var a = base; a; a = a.parent) chain.unshift(a);
      function put(n, x, w, d) {
        var hit = query && n.name.toLowerCase().indexOf(query) >= 0;
        var f = el('div', { 'class': 'fr' + (hit ? ' hit' : ''), 'data-name': n.name });
        f.style.left = x + 'px'; f.style.width = Math.max(w - 1, 1) + 'px'; f.style.top = d * RH + 'px';
        f.style.background = color(n.name, hit);
        if (w > 30) f.textContent = n.name;
        f.node = n;
        g.appendChild(f);
        if (d + 1 > rows) rows = d + 1;
      }
      chain.forEach(function (n, d) { put(n, 0, W, d); });
      var minw = 0.5;
      (function walk(n, x, w, d) {
        var kids = Object.keys(n.kids).map(function (k) { return n.kids[k]; }).sort(function (p, q) { return q.v - p.v; });
        var cx = x;
        kids.forEach(function (k) {
          var kw = w * k.v / n.v;
          if (kw >= minw) {
            put(k, cx, kw, d);
            walk(k, cx, kw, d + 1);
          }
          cx += kw;
        });
      })(base, 0, W, chain.length);
      if (query) {
        // Matched: the outermost matching frames, not counted twice.
        (function m(n) {
          if (n.name.toLowerCase().indexOf(query) >= 0 && n !== root) { matched += n.v; return; }
          for (var k in n.kids) m(n.kids[k]);
        })(root);
      }
      g.style.height = rows * RH + 'px';
      info.textContent = (query ? 'matched ' + fmtv(matched) + ' (' + (100 * matched / total).toFixed(1) + '%) of ' : 'total ') + fmtv(total);
      reset.disabled = !focus;
    }
    function sampleText(xs) {
      var by = {};
      xs.forEach(function (x) { (by[x.sample] = by[x.sample] || []).push(x.name); });
      var ks = Object.keys(by);
      return ks.map(function (k) {
        return 'one stack every ' + k + ' bytes' + (ks.length > 1 || xs.length < FL.exes.length ? ' in ' + by[k].join(', ') : '');
      }).join('; ');
    }
    function refresh() {
      root = build(); focus = null;
      var xs = exe < 0 ? FL.exes : [FL.exes[exe]], smp = xs.filter(function (x) { return x.sample > 0; });
      note.textContent = 'Callers at the top, the allocating function at the bottom; width: ' + MET[metric] +
        '. Click a frame to zoom, hover for figures.' +
        (smp.length ? ' Sampled logs (' + sampleText(smp) + '): every figure is a scaled estimate (\u2248).' : '') +
        (FL.pruned ? ' Stacks under 0.01% of their executable (in every measure) are summed in [small stacks].' : '');
      draw();
    }
    g.addEventListener('click', function (e) {
      var n = e.target.node;
      if (!n) return;
      focus = n === root ? null : n;
      draw();
    });
    g.addEventListener('mousemove', function (e) {
      var n = e.target.node;
      if (!n) { tip.hidden = true; return; }
      tip.hidden = false;
      tip.textContent = '';
      tip.appendChild(el('b', {}, n.name));
      if (n.loc) tip.appendChild(el('div', {}, n.loc));
      tip.appendChild(el('div', {}, fmtv(n.v) + ' ' + MET[metric] + ', ' + (100 * n.v / root.v).toFixed(1) + '% of all' +
        (n.parent ? ', ' + (100 * n.v / n.parent.v).toFixed(1) + '% of its caller' : '')));
      var r = box.getBoundingClientRect(), x = e.clientX - r.left + 12;
      tip.style.left = Math.min(x, r.width - 320) + 'px';
      tip.style.top = (e.clientY - r.top + 14) + 'px';
    });
    g.addEventListener('mouseleave', function () { tip.hidden = true; });
    selE.addEventListener('change', function () { exe = +selE.value; refresh(); });
    selM.addEventListener('change', function () { metric = +selM.value; refresh(); });
    q.addEventListener('input', function () { query = q.value.toLowerCase(); draw(); });
    reset.addEventListener('click', function () { focus = null; draw(); });
    window.addEventListener('resize', function () { draw(); });
    refresh();
  }

  // ---- the page ----
  legend();
  document.getElementById('zoom-reset').addEventListener('click', function () { zoom(0, D.duration); });
  document.getElementById('zoom-out').addEventListener('click', function () {
    var w = (view.b - view.a) * 2, a = Math.max(0, (view.a + view.b) / 2 - w / 2);
    zoom(a, Math.min(D.duration, a + w));
  });
  zoom(0, D.duration);
  var resizeT = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeT);
    resizeT = setTimeout(treeChart, 100);
  });
  table(document.getElementById('procs'), { id: 'procs-table', what: 'processes', sort: 0, cols: procCols,
                                             rows: function () { return realProcs; }, click: showProc });
  table(document.getElementById('commands'), {
    id: 'commands-table', what: 'commands', sort: 5, cols: [
      { label: 'command', get: function (c) { return c[0]; } },
      { label: 'count', num: true, get: function (c) { return c[1]; }, fmt: String },
      { label: 'allocs', num: true, get: function (c) { return c[2]; }, fmt: count },
      { label: 'allocated', num: true, get: function (c) { return c[3]; }, fmt: bytes },
      { label: 'peak max', num: true, get: function (c) { return c[4]; }, fmt: bytes },
      { label: 'peak sum', num: true, get: function (c) { return c[5]; }, fmt: bytes },
      { label: 'anon max', num: true, get: function (c) { return c[8]; }, fmt: bytes },
      { label: 'heap+anon max', num: true, get: function (c) { return c[9]; }, fmt: bytes },
      { label: 'resident max', num: true, get: function (c) { return c[10]; }, fmt: function (v) { return v ? bytes(v) : '-'; } },
      { label: 'leaked', num: true, get: function (c) { return c[6]; }, fmt: function (v) { return v ? bytes(v) : '-'; } }
    ], rows: function () { return D.cmds; },
    click: function (c) {
      var f = document.querySelector('#procs input[type=search]');
      f.value = c[0];
      f.dispatchEvent(new Event('input'));
      f.scrollIntoView({ block: 'center' });
    }
  });
  var leaky = realProcs.filter(function (p) { return p[F.leaked] > 0; });
  table(document.getElementById('leaks'), {
    id: 'leaks-table', what: 'leaking processes', sort: 0, click: showProc, cols: [
      numc('leaked', F.leaked), numc('blocks', F.lblocks, String),
      { label: 'end', get: function (p) { return ENDS[p[F.endc]]; } },
      { label: 'pid', num: true, get: function (p) { return p[F.pid]; }, fmt: String },
      { label: 'command', get: function (p) { return cmdName(p); } },
      { label: 'command line', cls: 'cl', get: function (p) { return D.argv[byId[p[F.id]]] || ''; } }
    ], rows: function () { return leaky; }
  });
  Array.prototype.forEach.call(document.querySelectorAll('tr[data-img]'), function (tr) {
    tr.classList.add('click');
    tr.addEventListener('click', function () {
      var i = byId[+tr.getAttribute('data-img')];
      if (i !== undefined) showProc(P[i]);
    });
  });
  flame();
  document.body.setAttribute('data-ready', '1');
})();
