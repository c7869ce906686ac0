#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""The preload's system calls, counted by strace: what each kind adds to
a process image's start and exit (a configure script runs thousands of
images, each paying it), and what its resident-size samples cost while a
process runs. Counts, not times: they do not depend on the machine's
load, and a change that adds a call per image or per sample fails here."""
import os
import subprocess
import time

from common import check, check_ok, cleanup, env, prog, setup, skip, syscalls, tmpdir

# System calls an image of /bin/true may make beyond the uninstrumented
# run: counters only (loading the object, its own state), the event log
# (file, header, windows, FINI, the resident samples) and the summary
# (its body besides). Measured 15, 49 and 53 on Debian 12; the budget
# leaves two for a kernel or libc that needs a call more.
BUDGET = {'counters': 17, 'events': 51, 'summary': 55}

setup()
for tool in ('strace',):
	if subprocess.run(['sh', '-c', 'command -v ' + tool], stdout=subprocess.DEVNULL).returncode:
		skip(tool + ' is not installed')
true = '/bin/true'
d = tmpdir('syscalls')


def traced(kind, argv, tag):
	"""Runs argv under strace -f in one kind; returns its system calls and
	the wall time the run took (seconds)."""
	trace = os.path.join(d, tag + '.trace')
	extra = {}
	prefix = None
	if kind in ('events', 'summary'):
		prefix = os.path.join(d, tag)
	if kind == 'summary':
		extra['MALLOC_STAT_MODE'] = 'summary'
	e = env(preload=kind != 'bare', prefix=prefix, extra=extra)
	t0 = time.monotonic()
	res = subprocess.run(['strace', '-f', '-qq', '-o', trace] + argv, env=e,
			     stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
	wall = time.monotonic() - t0
	check_ok(res, '%s under strace (%s)' % (argv[0], kind))
	calls = [(pid, name, text) for pid, name, text, ret in syscalls(trace)]
	check(calls and calls[0][1] == 'execve', '%s: the trace starts with the execve: %r'
	      % (kind, calls[:1]))
	return calls, wall


# Per image: each kind's calls over the uninstrumented run's.
base = None
for kind in ('bare', 'counters', 'events', 'summary'):
	calls, _ = traced(kind, [true], 'true-' + kind)
	if kind == 'bare':
		if not any(n == 'openat' and 'libc.so' in t for _, n, t in calls):
			skip('/bin/true is not dynamically linked')
		base = len(calls)
		continue
	extra = len(calls) - base
	names = {}
	for _, name, _ in calls:
		names[name] = names.get(name, 0) + 1
	print("%s: %d calls over bare" % (kind, extra))
	check(extra <= BUDGET[kind], '%s: %d system calls more than bare /bin/true (budget %d): %r'
	      % (kind, extra, BUDGET[kind], sorted(names.items())))
	if kind == 'counters':
		# Counters only: no file of its own, no /proc reading.
		opened = [t for _, n, t in calls if n == 'openat']
		check(not any('/proc/' in t or 'O_CREAT' in t for t in opened),
		      'counters only opens no file of its own: %r' % opened)

# A process that lives: its resident-size samples (one reading of
# /proc/self/statm each) come at most every 10 ms, and each takes at most
# two mincore calls for the preload's own pages (its read-only segments
# in one range, its writable one). Two more readings: FINI's, and the
# first window's switch when it comes before the first sample; later
# switches use the last reading.
busy = prog('prog-busy')
for kind in ('events', 'summary'):
	calls, wall = traced(kind, [busy, '300'], 'busy-' + kind)
	samples = sum(1 for _, n, t in calls if n == 'openat' and '/proc/self/statm' in t)
	mincore = sum(1 for _, n, _ in calls if n == 'mincore')
	check(samples >= 3, '%s: the busy process was sampled: %d' % (kind, samples))
	check(samples <= wall / 0.010 + 3, '%s: %d samples in %.2f s (at most one every 10 ms)'
	      % (kind, samples, wall))
	check(mincore <= 2 * (samples + 2), '%s: %d mincore calls for %d samples (two each at most)'
	      % (kind, mincore, samples))
cleanup(d)
print('ok')
