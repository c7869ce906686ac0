#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""The tests' independent reader of malloc-stat logs (doc/log-format.md).

Parses per-process files or a shared stream, replays the block table of every
image (a fork child starts from its parent's live set at the fork offset),
and checks well-formedness, the replay, the FINI counters and the links
between images. Standard library only; shares no code with tools/.
"""
import argparse
import os
import re
import sys

VERSION_LINE = '# MALLOC-STAT-LOG 1'
ALLOCS = {'malloc', 'calloc', 'memalign', 'posix_memalign', 'aligned_alloc',
	  'valloc', 'pvalloc', 'realloc-alloc'}
FREES = {'free', 'realloc-free'}
CONTROL = {'INIT', 'TIME', 'FORK', 'EXEC', 'EXEC-FAILED', 'LOG', 'LOST', 'FINI', 'RSS', 'MAPS', 'CUT'}
MAPPINGS = {'mmap', 'munmap', 'mremap'}
COUNTERS = ('allocations', 'allocated', 'deallocations', 'deallocated',
	    'in_use', 'peak_in_use')
ENTRY_RE = re.compile(r'\+ (\S+) (\d+) (0x[0-9a-f]+)(?: (.*))?$')
DEC_RE = re.compile(r'\d+$')
HEX_RE = re.compile(r'0x[0-9a-f]+$')


def unescape(s):
	out, i = [], 0
	while i < len(s):
		c = s[i]
		if c == '\\' and i + 1 < len(s):
			i += 1
			c = {'n': '\n', 's': ' ', '\\': '\\'}.get(s[i], '\\' + s[i])
		out.append(c)
		i += 1
	return ''.join(out)


class Entry:
	__slots__ = ('off', 'line', 'type', 'a', 'b', 'more')

	def __init__(self, off, line, etype, a, b, more):
		self.off, self.line, self.type = off, line, etype
		self.a, self.b, self.more = a, b, more


class Image:
	"""One process image: its header, its entries, and what the replay found."""

	def __init__(self, where):
		self.where = where	# file name, or "stream:PID#n"
		self.name = None	# base name of the file (files only)
		self.hdr = {}
		self.maps = None
		self.entries = []
		self.offsets = set()	# byte offsets where entries start
		self.length = 0		# bytes before the first NUL
		self.errors = []
		self.origin = None	# ('image',) ('fork', FILE, OFF) ('clone', ...)
		self.parent = None	# the Image this one came from
		self.fini = None
		self.fini_replay = None
		self.inexact = False	# LOG gaps, LOST events
		self.lost = 0
		self.forks = {}		# child pid -> entry
		self.fork_offs = {}	# child pid -> offsets its FORK entries name
		self.pending_exec = None
		self.cut = None		# errno of a CUT entry: logging stopped there
		self.stream = False
		self.fork_at = None	# fork/clone children: offset in the parent
		self.data = b''

	def err(self, line, msg):
		self.errors.append('%s:%s: %s' % (self.where, line, msg))

	def lineof(self, off):
		"""Line number of a byte offset (files parsed on the fast path)."""
		return self.data.count(b'\n', 0, off) + 1

	def line(self, e):
		return e.line if e.line is not None else self.lineof(e.off)

	def h_int(self, key):
		v = self.hdr.get(key, '')
		return int(v) if DEC_RE.match(v) else None

	@property
	def pid(self):
		return self.h_int('PID')

	@property
	def ppid(self):
		return self.h_int('PPID')

	@property
	def start(self):
		return self.h_int('START')

	@property
	def pstart(self):
		return self.h_int('PSTART')

	@property
	def mono(self):
		t = self.hdr.get('TIME', '').split()
		return int(t[1]) if len(t) == 2 and t[1].isdigit() else 0

	@property
	def exe(self):
		return unescape(self.hdr.get('EXE', ''))

	@property
	def cmdline(self):
		c = self.hdr.get('CMDLINE', '')
		return [unescape(a) for a in c.split(' ')] if c else []

	def events(self, types=None):
		return [e for e in self.entries if types is None or e.type in types]

	def __repr__(self):
		return '<Image %s pid=%s %s>' % (self.where, self.pid, self.origin)


# ---- parsing ----

def parse_lines(img, lines, state='version'):
	"""lines: (offset, lineno, text). Fills img's header and entries; state
	'entries' continues after a header parsed before."""
	cur = None
	for off, no, text in lines:
		if state == 'version':
			if text != VERSION_LINE:
				img.err(no, 'expected %r, got %r' % (VERSION_LINE, text))
				return
			state = 'header'
			continue
		if state == 'maps':
			if text == '# END MAPS':
				state = 'header'
			elif text.startswith('#'):
				img.err(no, 'header line inside MAPS: %r' % text)
			else:
				img.maps.append(text)
			continue
		if state == 'entry':
			if text == '-':
				finish_entry(img, cur)
				cur = None
				state = 'entries'
			elif text.startswith('+') or text.startswith('#'):
				img.err(no, 'entry not closed by "-" before %r' % text)
				return
			continue
		if state == 'header' and text.startswith('# '):
			key, _, val = text[2:].partition(' ')
			if key == 'MAPS' and not val:
				if img.maps is not None:
					img.err(no, 'second MAPS block')
				img.maps = []
				state = 'maps'
			elif key in img.hdr:
				img.err(no, 'header key %s twice' % key)
			else:
				img.hdr[key] = val
			continue
		if text.startswith('+'):
			state = 'entry'
			cur = parse_entry(img, off, no, text)
			continue
		img.err(no, 'unexpected line %r' % text[:80])
		return
	if state == 'version':
		img.err(0, 'empty log')
	elif state == 'maps':
		img.err('EOF', 'MAPS block not closed')
	elif state == 'entry':
		img.err('EOF', 'last entry not closed by "-"')


def parse_entry(img, off, no, text):
	m = ENTRY_RE.match(text)
	if not m:
		img.err(no, 'malformed entry %r' % text)
		return None
	return make_entry(img, off, no, m.group(1), int(m.group(2)), int(m.group(3), 16),
			  m.group(4))


def make_entry(img, off, no, etype, a, b, more):
	"""The Entry, or None after reporting bad fields."""
	more = more.split(' ') if more is not None else []
	e = Entry(off, no, etype, a, b, more)
	if etype in ALLOCS:
		ok = len(more) == 1 and DEC_RE.match(more[0]) and b != 0
	elif etype in FREES:
		ok = not more and b != 0
	elif etype == 'realloc-inplace':
		ok = len(more) == 2 and all(DEC_RE.match(x) for x in more) and b != 0
	elif etype == 'realloc-realloc':
		ok = (len(more) == 3 and DEC_RE.match(more[0]) and
		      HEX_RE.match(more[1]) and DEC_RE.match(more[2]) and b != 0)
	elif etype == 'EXEC':
		ok = b == 0 and a in (0, 1)	# 1: the new image's environment drops the preload
		e.more = [' '.join(more)]
	elif etype == 'SPAWN':
		# PID 0xERRNO WHY PATH: a vfork or posix_spawn child
		ok = len(more) >= 1 and more[0] in ('traced', 'env') and (a > 0 or b > 0)
		e.more = [more[0], ' '.join(more[1:])]
	elif etype == 'FINI':
		# The six counters, then any further key=value fields.
		kv = dict(x.partition('=')[::2] for x in more)
		ok = (a == 0 and b == 0 and set(COUNTERS) <= set(kv) and
		      all(re.match(r'-?\d+$', kv[k]) for k in COUNTERS))
		if ok:
			e.more = {k: int(v) if re.match(r'-?\d+$', v) else v for k, v in kv.items()}
	elif etype == 'RSS':
		ok = b == 0 and len(more) == 1 and DEC_RE.match(more[0])
	elif etype == 'mmap':
		ok = (len(more) == 2 and DEC_RE.match(more[0]) and HEX_RE.match(more[1]) and
		      a > 0 and b % 4096 == 0)
	elif etype == 'munmap':
		ok = not more and b % 4096 == 0
	elif etype == 'mremap':
		ok = (len(more) == 2 and HEX_RE.match(more[0]) and DEC_RE.match(more[1]) and
		      b % 4096 == 0)
	elif etype == 'FORK':
		ok = b == 0 and len(more) <= 1 and all(DEC_RE.match(x) for x in more)
	elif etype in CONTROL:
		ok = b == 0 and not more and (etype != 'LOG' or a in (0, 1))
	else:
		img.err(no if no is not None else img.lineof(off), 'unknown entry type %r' % etype)
		return None
	if not ok:
		img.err(no if no is not None else img.lineof(off),
			'bad fields in %r' % ' '.join(['+', etype, str(a), hex(b)] + more))
		return None
	return e


def finish_entry(img, e):
	if e is None:
		return
	img.entries.append(e)
	img.offsets.add(e.off)
	if e.type == 'FORK':
		img.forks[e.a] = e
		if e.more and e.more[0].isdigit():
			img.fork_offs.setdefault(e.a, set()).add(int(e.more[0]))
	elif e.type == 'EXEC':
		img.pending_exec = e
	elif e.type == 'EXEC-FAILED':
		if img.pending_exec is None:
			img.err(img.line(e), 'EXEC-FAILED without EXEC')
		img.pending_exec = None


def split_lines(data, base=0, first_line=1):
	"""(offset, lineno, text) for each whole line of data (bytes)."""
	out = []
	off, no = 0, first_line
	while off < len(data):
		nl = data.find(b'\n', off)
		if nl < 0:
			break
		out.append((base + off, no, data[off:nl].decode('utf-8', 'surrogateescape')))
		off, no = nl + 1, no + 1
	return out, off


def parse_file(path):
	img = Image(os.path.basename(path))
	with open(path, 'rb') as f:
		data = f.read()
	nul = data.find(b'\0')
	if nul >= 0:
		# A killed process may leave the entry it was writing: every byte
		# but its first ('+', stored last), so a reader stops before it.
		# Anything else after the first NUL is an error.
		# Its digits may still have gaps (numbers are written from their
		# last digit), so only its span and the absence of any published
		# entry ('\n+') are checked.
		rest = data[nul + 1:].rstrip(b'\0')
		if rest and (b'\n+' in rest or len(rest) > 2048):
			img.err('EOF', 'data after the first NUL byte')
		data = data[:nul]
	img.length = len(data)
	img.data = data
	# The header line by line, the entries with one regex each.
	hend = data.find(b'\n+')
	hend = len(data) if hend < 0 else hend + 1
	lines, _ = split_lines(data[:hend])
	parse_lines(img, lines)
	if data and not data.endswith(b'\n'):
		img.err('EOF', 'last line has no newline: %r' % data[-60:])
	if hend < len(data) and len(img.errors) <= 1:
		pos = parse_entries(img, data.decode('latin-1'), hend)
		if pos < len(data):
			lines, _ = split_lines(data[pos:], pos, data.count(b'\n', 0, pos) + 1)
			parse_lines(img, lines, 'entries')
	check_header(img, True)
	return img


FAST_RE = re.compile(r'\+ ([^ \n]+) (\d+) 0x([0-9a-f]+)(?: ([^\n]*))?\n-\n')


def parse_entries(img, text, pos):
	"""Whole entries from pos (text is latin-1: offsets are byte offsets).
	Returns where the first entry this cannot read starts."""
	match = FAST_RE.match
	end = len(text)
	entries, offsets = img.entries, img.offsets
	while pos < end:
		m = match(text, pos)
		if m is None:
			break
		etype, a, b, more = m.groups()
		a, b = int(a), int(b, 16)
		# The frequent entries inline, the rest through make_entry.
		if etype in ALLOCS and more is not None and more.isdigit() and b:
			entries.append(Entry(pos, None, etype, a, b, [more]))
			offsets.add(pos)
		elif etype in FREES and more is None and b:
			entries.append(Entry(pos, None, etype, a, b, []))
			offsets.add(pos)
		elif etype == 'TIME' and more is None and not b:
			entries.append(Entry(pos, None, etype, a, b, []))
			offsets.add(pos)
		else:
			if more is not None and etype in ('EXEC', 'FINI'):
				more = more.encode('latin-1').decode('utf-8', 'surrogateescape')
			finish_entry(img, make_entry(img, pos, None, etype, a, b, more))
		pos = m.end()
	return pos


def parse_stream(path):
	"""A shared stream: '# PID n' lines say whose lines follow."""
	with open(path, 'rb') as f:
		data = f.read()
	nul = data.find(b'\0')
	if nul >= 0:
		data = data[:nul]
	lines, used = split_lines(data)
	errors = []
	if used != len(data):
		errors.append('%s:EOF: last line has no newline' % path)
	per_pid = {}		# pid -> [(off, no, text)], in stream order
	order = []		# (pid, index into per_pid[pid]) at each segment start
	seg_start, seg_pid, prev = None, None, None
	segments = []
	for off, no, text in lines:
		m = re.match(r'# PID (\d+)$', text)
		if m and prev != VERSION_LINE:
			if seg_start is not None:
				segments.append((seg_pid, seg_start, off, no))
			seg_pid, seg_start = int(m.group(1)), off
			per_pid.setdefault(seg_pid, [])
			order.append((seg_pid, len(per_pid[seg_pid])))
		elif seg_pid is None:
			errors.append('%s:%d: line before the first "# PID"' % (path, no))
		else:
			per_pid[seg_pid].append((off, no, text))
		prev = text
	if seg_start is not None:
		segments.append((seg_pid, seg_start, len(data), lines[-1][1] + 1))
	images = []
	for pid, plines in per_pid.items():
		chunks, cur = [], []
		for item in plines:
			if item[2] == VERSION_LINE and cur:
				chunks.append(cur)
				cur = []
			cur.append(item)
		if cur:
			chunks.append(cur)
		for n, chunk in enumerate(chunks):
			img = Image('%s:pid%d#%d' % (os.path.basename(path), pid, n))
			img.stream = True
			parse_lines(img, chunk)
			img.stream_first = chunk[0][0]
			check_header(img, False)
			images.append(img)
	# Every write holds whole entries and at most PIPE_BUF bytes.
	open_entry = {}
	for pid, start, end, no in segments:
		if end - start > 4096:
			errors.append('%s: segment of pid %d at byte %d is %d bytes (> PIPE_BUF)'
				      % (path, pid, start, end - start))
		seg = data[start:end].decode('utf-8', 'surrogateescape').split('\n')[1:-1]
		for text in seg:
			if text.startswith('+'):
				if open_entry.get(pid):
					break
				open_entry[pid] = True
			elif text == '-':
				open_entry[pid] = False
		if open_entry.get(pid):
			errors.append('%s: write of pid %d at byte %d splits an entry'
				      % (path, pid, start))
	return images, errors


def check_header(img, is_file):
	h = img.hdr
	if not h and not img.entries:
		return
	need = ['PID', 'PPID', 'START', 'PSTART', 'TIME', 'HOST', 'BOOT', 'ORIGIN', 'EXE', 'CWD',
		'CMDLINE']
	for key in need:
		if key not in h:
			img.err('header', 'missing # %s' % key)
	for key in ('PID', 'PPID', 'START'):
		if key in h and not DEC_RE.match(h[key]):
			img.err('header', 'bad # %s %r' % (key, h[key]))
	if h.get('PSTART') and not DEC_RE.match(h['PSTART']):
		img.err('header', 'bad # PSTART %r' % h['PSTART'])
	if 'TIME' in h and not re.match(r'\d+ \d+$', h['TIME']):
		img.err('header', 'bad # TIME %r' % h['TIME'])
	o = h.get('ORIGIN', '').split(' ')
	if o[0] == 'image' and len(o) == 1:
		img.origin = (o[0],)
	elif o[0] in ('fork', 'clone') and len(o) == 3 and DEC_RE.match(o[2]):
		img.origin = (o[0], unescape(o[1]), int(o[2]))
		if not DEC_RE.match(h.get('INHERITED', '')):
			img.err('header', 'fork child without a valid # INHERITED')
	elif 'ORIGIN' in h:
		img.err('header', 'bad # ORIGIN %r' % h['ORIGIN'])
	if is_file:
		img.name = img.where
		if h.get('FILE') != img.where:
			img.err('header', '# FILE %r is not the file name' % h.get('FILE'))
	# The maps serve only to resolve stack addresses: present exactly
	# when stacks are on.
	if is_file and 'STACKS' in h and img.maps is None:
		img.err('header', 'stacks on but no MAPS block')
	if 'STACKS' not in h and img.maps is not None:
		img.err('header', 'MAPS block without stacks')
	if not img.entries or img.entries[0].type != 'INIT':
		img.err('header', 'first entry is not INIT')


# ---- replay ----

class Replay:
	"""The block table. Once events are known to be missing (lenient), an
	unknown free or a reused live address is tolerated and counted."""

	def __init__(self, live, in_use):
		self.live = dict(live)
		self.c = dict.fromkeys(COUNTERS, 0)
		self.c['in_use'] = self.c['peak_in_use'] = in_use
		self.lenient = False
		self.tolerated = 0

	def add(self, addr, usable):
		if addr in self.live:
			if not self.lenient:
				return 'block 0x%x allocated while live' % addr
			self.tolerated += 1
		self.live[addr] = usable
		c = self.c
		c['allocations'] += 1
		c['allocated'] += usable
		c['in_use'] += usable
		c['peak_in_use'] = max(c['peak_in_use'], c['in_use'])
		return None

	def remove(self, addr, usable):
		have = self.live.pop(addr, None)
		if have is None:
			if self.lenient:
				self.tolerated += 1
				have = usable
			else:
				return 'free of unknown block 0x%x' % addr
		c = self.c
		c['deallocations'] += 1
		c['deallocated'] += usable
		c['in_use'] -= usable
		if have != usable:
			return 'block 0x%x freed with size %d, allocated with %d' % (addr, usable, have)
		return None


def replay(img, live, in_use, snapshots=()):
	"""Replays img from the inherited live set. Returns {offset: live dict}
	for each offset in snapshots (and img.length)."""
	r = Replay(live, in_use)
	want = set(snapshots)
	snaps = {}
	gap = False
	last_time = None
	r.lenient = img.inexact
	for e in img.entries:
		if e.off in want:
			snaps[e.off] = (dict(r.live), r.c['in_use'])
		t = e.type
		msg = None
		if gap and t not in ('LOG', 'FINI'):
			# Events between LOG 0 and LOG 1 are missing.
			if t in ALLOCS or t in FREES or t.startswith('realloc'):
				continue
		if t in ALLOCS:
			if int(e.more[0]) < e.a:
				msg = 'usable %s below the request %d' % (e.more[0], e.a)
			msg = r.add(e.b, int(e.more[0])) or msg
		elif t in FREES:
			msg = r.remove(e.b, e.a)
		elif t == 'realloc-inplace':
			msg = r.remove(e.b, int(e.more[1])) or r.add(e.b, int(e.more[0]))
		elif t == 'realloc-realloc':
			msg = (r.remove(int(e.more[1], 16), int(e.more[2])) or
			       r.add(e.b, int(e.more[0])))
		elif t == 'INIT':
			if e is not img.entries[0]:
				msg = 'INIT not first'
		elif t == 'TIME':
			if last_time is not None and e.a < last_time:
				msg = 'TIME goes back from %d to %d' % (last_time, e.a)
			last_time = e.a
		elif t == 'LOG':
			gap = e.a == 0
			if gap:
				img.inexact = r.lenient = img.gap = True
		elif t == 'LOST':
			img.lost += e.a
			img.inexact = r.lenient = True
		elif t == 'CUT':
			if img.cut is not None:
				msg = 'second CUT'
			img.cut = e.a
		elif img.cut is not None:
			msg = '%s after CUT: the log stopped there' % t
		elif t == 'FINI':
			if img.fini is not None:
				msg = 'second FINI'
			img.fini = e.more
			img.fini_replay = dict(r.c)
		if msg:
			img.err(img.line(e), msg)
			if t in ALLOCS or t in FREES or t.startswith('realloc'):
				img.inexact = True
	if img.lost and not getattr(img, 'gap', False) and r.tolerated > img.lost:
		img.err('EOF', '%d replay anomalies, but only %d events LOST'
			% (r.tolerated, img.lost))
	snaps.setdefault(img.length, (dict(r.live), r.c['in_use']))
	img.final_live = r.live
	return snaps


# ---- the tree ----

class Tree:
	def __init__(self, images, errors=()):
		self.images = images
		self.errors = list(errors)
		self.by_name = {i.name: i for i in images if i.name}
		self.roots = []

	def proc_images(self, pid, start):
		return sorted((i for i in self.images if i.pid == pid and i.start == start),
			      key=lambda i: i.mono)

	def link(self):
		"""Finds each image's parent image and checks the link."""
		procs = {}
		for i in self.images:
			procs.setdefault((i.pid, i.start), []).append(i)
		for chain in procs.values():
			chain.sort(key=lambda i: i.mono)
		for img in self.images:
			o = img.origin
			if o is None:
				continue
			if o[0] in ('fork', 'clone') and img.stream:
				self.link_stream_child(img, procs)
				continue
			if o[0] in ('fork', 'clone'):
				par = self.by_name.get(o[1])
				if par is None:
					img.err('header', 'ORIGIN names missing file %r' % o[1])
					continue
				img.parent = par
				img.fork_at = o[2]
				if par.pid != img.ppid or par.start != img.pstart:
					img.err('header', 'parent %s is (%s, %s), PPID/PSTART say (%s, %s)'
						% (par.where, par.pid, par.start, img.ppid, img.pstart))
				if o[2] not in par.offsets and o[2] != par.length:
					img.err('header', 'fork offset %d is not an entry start in %s'
						% (o[2], par.where))
				if par.mono > img.mono:
					img.err('header', 'parent %s starts after the child' % par.where)
				if o[0] == 'fork' and img.pid not in par.forks:
					img.err('header', 'parent %s has no FORK %d' % (par.where, img.pid))
				elif (o[0] == 'fork' and img.pid in par.fork_offs and
				      o[2] not in par.fork_offs[img.pid]):
					img.err('header', 'FORK %d in %s names offsets %s, ORIGIN %d'
						% (img.pid, par.where, sorted(par.fork_offs[img.pid]), o[2]))
				continue
			chain = procs[(img.pid, img.start)]
			k = chain.index(img)
			earlier = chain[:k]
			if earlier:
				prev = earlier[-1]
				img.parent = prev
				if prev.pending_exec is None:
					img.err('header', 'exec image, but %s did not end with EXEC'
						% prev.where)
				continue
			cands = [i for i in procs.get((img.ppid, img.pstart), ())
				 if i.mono <= img.mono]
			if cands:
				img.parent = cands[-1]
			else:
				self.roots.append(img)

	def link_stream_child(self, img, procs):
		"""In a stream a fork child names no file: its parent is the image of
		(PPID, PSTART) that logged FORK with its pid; it inherits what was
		live before that entry. Without FORK (clone), what it inherited is
		not known exactly."""
		if img.origin[1] != '-' or img.origin[2] != 0:
			img.err('header', 'stream child with ORIGIN %r' % img.hdr['ORIGIN'])
		cands = [i for i in procs.get((img.ppid, img.pstart), ()) if i.mono <= img.mono]
		forked = [i for i in cands if img.pid in i.forks]
		if forked:
			img.parent = forked[-1]
			img.fork_at = forked[-1].forks[img.pid].off
		elif cands:
			img.parent = cands[-1]
			before = [e.off for e in cands[-1].entries if e.off < img.stream_first]
			img.fork_at = before[-1] if before else cands[-1].length
			img.inexact = True
			if img.origin[0] == 'fork':
				img.err('header', 'no FORK %d in the parent' % img.pid)
		else:
			img.err('header', 'parent (%s, %s) not in the stream' % (img.ppid, img.pstart))

	def replay_all(self):
		children = {}
		for img in self.images:
			if img.parent is not None and img.origin and img.origin[0] != 'image':
				children.setdefault(id(img.parent), []).append(img)
		done = {}

		def visit(img, live, in_use):
			kids = children.get(id(img), [])
			want = [k.fork_at for k in kids]
			snaps = replay(img, live, in_use, want)
			done[id(img)] = True
			for k, off in zip(kids, want):
				klive, kin = snaps.get(off, (None, None))
				if klive is None:
					k.err('header', 'no parent state at offset %d' % off)
					klive, kin = {}, 0
				inh = k.h_int('INHERITED')
				if (inh is not None and not (img.inexact or k.inexact) and inh != kin and
				    not self.loose_inherited):
					k.err('header', 'INHERITED %d, parent had %d in use at the fork'
					      % (inh, kin))
				if img.inexact:
					k.inexact = True
				visit(k, klive, inh if inh is not None else sum(klive.values()))

		for img in self.images:
			if img.parent is None or img.origin[0] == 'image':
				visit(img, {}, 0)
		for img in self.images:
			if id(img) not in done:
				img.err('header', 'not replayed (cyclic parent links?)')
				replay(img, {}, 0)

	def check(self, roots=None, counters=True, loose_peak=False, require_fini=False,
		  threads=False):
		"""threads: the traced programs fork while other threads allocate, so
		the counted peak and INHERITED may differ from the replay."""
		self.loose_inherited = threads
		loose_peak = loose_peak or threads
		self.link()
		self.replay_all()
		keys = {}
		for img in self.images:
			if img.fini is None:
				if require_fini and img.pending_exec is None:
					img.err('EOF', 'no FINI, and no EXEC at the end')
			elif counters and img.lost and not getattr(img, 'gap', False):
				# Each lost event is a malloc or free (1 count) or a
				# realloc (2): the counts missing from the replay say so.
				f, r = img.fini, img.fini_replay
				miss = (f['allocations'] - r['allocations'] +
					f['deallocations'] - r['deallocations'])
				if not img.lost <= miss <= 2 * img.lost:
					img.err('FINI', '%d events LOST, but %d counts are missing'
						% (img.lost, miss))
			elif counters and not img.inexact:
				for k in COUNTERS:
					if k == 'peak_in_use' and loose_peak:
						continue
					# Threads count apart: the peak is exact to
					# within what FINI says.
					slack = img.fini.get('peak_slack', 0)
					if (k == 'peak_in_use' and isinstance(slack, int) and slack > 0 and
					    abs(img.fini[k] - img.fini_replay[k]) <= slack):
						continue
					if img.fini[k] != img.fini_replay[k]:
						img.err('FINI', '%s=%d, the log replays to %d'
							% (k, img.fini[k], img.fini_replay[k]))
				if loose_peak and img.fini['peak_in_use'] < img.fini['in_use']:
					img.err('FINI', 'peak_in_use below in_use')
			if img.name:
				key = (img.pid, img.start, img.mono)
				if key in keys:
					img.err('header', 'same (PID, START, TIME) as %s' % keys[key])
				keys[key] = img.where
		if roots is not None and len(self.roots) != roots:
			self.errors.append('%d root images (parent not traced), expected %d: %s'
					   % (len(self.roots), roots,
					      ' '.join(i.where for i in self.roots[:10])))
		for img in self.images:
			self.errors.extend(img.errors)
		return self.errors


def load(paths):
	"""Files, directories (every file in them) or prefixes (PREFIX.*)."""
	files = []
	for p in paths:
		if os.path.isdir(p):
			files += [os.path.join(p, f) for f in sorted(os.listdir(p))]
		elif os.path.exists(p):
			files.append(p)
		else:
			d, b = os.path.split(p)
			d = d or '.'
			files += [os.path.join(d, f) for f in sorted(os.listdir(d))
				  if f.startswith(b + '.')]
	return Tree([parse_file(f) for f in files])


def load_stream(path):
	images, errors = parse_stream(path)
	return Tree(images, errors)


def main():
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('paths', nargs='+')
	ap.add_argument('--stream', action='store_true', help='the paths are shared streams')
	ap.add_argument('--roots', type=int, help='number of images whose parent is untraced')
	ap.add_argument('--no-counters', action='store_true',
			help='do not compare FINI with the replay (the API reset the counters)')
	ap.add_argument('--loose-peak', action='store_true',
			help='threads: the counted peak may differ from the replayed one')
	ap.add_argument('--threads', action='store_true',
			help='forks while threads allocate: loose peak and INHERITED')
	ap.add_argument('--require-fini', action='store_true',
			help='every image ends with FINI or a pending EXEC')
	ap.add_argument('--summary', action='store_true', help='print one line per image')
	a = ap.parse_args()
	if a.stream:
		trees = [load_stream(p) for p in a.paths]
		tree = Tree([i for t in trees for i in t.images],
			    [e for t in trees for e in t.errors])
	else:
		tree = load(a.paths)
	errors = tree.check(a.roots, not a.no_counters, a.loose_peak, a.require_fini, a.threads)
	if a.summary:
		for i in tree.images:
			print(i.where, i.pid, i.start, ' '.join(map(str, i.origin or ())),
			      i.parent.where if i.parent else '-', i.exe,
			      len(i.entries), 'fini' if i.fini else 'nofini')
	for e in errors:
		print(e, file=sys.stderr)
	print('logcheck: %d images, %d errors' % (len(tree.images), len(errors)),
	      file=sys.stderr)
	return 1 if errors else 0


if __name__ == '__main__':
	sys.exit(main())
