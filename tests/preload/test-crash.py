#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Nothing lost when a process dies: prog-crash is killed with SIGKILL at a
random point, or ends itself by _exit, abort or SIGSEGV after a random
number of calls. Its log (possibly ending in NUL bytes) must hold every
call the program completed, in order, and nothing it did not make.
Usage: test-crash.py kill|_exit|abort|segv"""
import os
import random
import signal
import struct
import subprocess
import sys
import time

from common import (check, check_eq, check_logs, cleanup, env, events, logs, prog, setup,
		    tmpdir)


def expected(n):
	"""(type, request) of the first n calls, as prog-crash makes them."""
	slot = [False] * 16
	out = []
	for i in range(1, n + 1):
		s, size = i % 16, 16 + (i * 13) % 500
		if not slot[s]:
			out.append(('malloc', size))
			slot[s] = True
		elif i % 2:
			out.append(('realloc', size))
		else:
			out.append(('free', None))
			slot[s] = False
	return out


def run_once(d, mode, n, rng):
	"""Runs prog-crash; returns its exit status and the calls it completed."""
	countfile = os.path.join(d, 'count')
	p = subprocess.Popen([prog('prog-crash'), mode, str(n), countfile],
			     env=env(prefix=os.path.join(d, 'log')))

	def count():
		try:
			with open(countfile, 'rb') as f:
				return struct.unpack('<I', f.read(4).ljust(4, b'\0'))[0]
		except OSError:
			return 0

	if mode == 'kill':
		stop_at = rng.randrange(200, 20000)
		while p.poll() is None and count() < stop_at:
			time.sleep(0.001)
		p.kill()
	p.wait(timeout=60)
	return p.returncode, count()


setup()
mode = sys.argv[1]
seed = int.from_bytes(os.urandom(4), 'little')
rng = random.Random(seed)
print('seed %d' % seed)
want_rc = {'kill': -signal.SIGKILL, '_exit': 0, 'abort': -signal.SIGABRT,
	   'segv': -signal.SIGSEGV}[mode]
for attempt in range(5):
	d = tmpdir('crash-' + mode)
	n = rng.randrange(1, 20000)
	rc, done = run_once(d, mode, n, rng)
	check_eq(rc, want_rc, 'exit status')
	if mode != 'kill':
		check_eq(done, n, 'calls completed')
	files = logs(d)
	check_eq(len(files), 1, 'logs')
	tree = check_logs([os.path.join(d, files[0])], roots=1)
	img = tree.images[0]
	check_eq(img.fini is not None, mode == '_exit', 'FINI present')
	ev = [e.split() for e in events(img, skip=('TIME', 'RSS', 'INIT', 'FINI', 'mmap',
						   'munmap', 'mremap'))]
	k = [i for i, e in enumerate(ev) if e[:2] == ['malloc', '77777']]
	check(len(k) == 1, 'start marker logged once')
	got = ev[k[0] + 2:]	# after the marker's malloc and free
	# Every completed call is there; the one in progress may be too.
	check(done <= len(got) <= done + 1,
	      '%d calls completed, %d logged (%s)' % (done, len(got), files[0]))
	want = expected(len(got))
	norm = [(e[0].split('-')[0], int(e[1]) if e[0] != 'free' else None) for e in got]
	check_eq(norm, want, 'logged calls')
	print('%s: %d calls completed, %d logged' % (mode, done, len(got)))
	cleanup(d)
print('ok')
