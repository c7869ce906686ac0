#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Signal handlers that allocate while the interrupted thread is inside the
preload (prog-signal: interval timer, alone or while a second thread
allocates), with logging on: no deadlock (meson's timeout), counters exact
(checked by the program), and a log that replays to its FINI; events the
writer reports LOST must account exactly for what the replay misses.
fork-stacks: prog-forkcap forks from a handler that interrupted a stack
capture of its own thread; the fork once waited 200 ms for that capture
each time (a run of minutes): within meson's timeout, every fork child
leaves a log and the report counts them all.
Usage: test-signal.py timer|threads|fork-stacks"""
import os
import sys

from common import check, check_logs, check_ok, cleanup, logs, prog, run, setup, tmpdir

setup()
mode = sys.argv[1]
if mode == 'fork-stacks':
	# Summary files: the loop's millions of stacks do not fill the disk.
	import json
	import subprocess
	d = tmpdir('signal-fork-stacks')
	res = run([prog('prog-forkcap'), '200'], prefix=os.path.join(d, 'log'),
		  extra_env={'MALLOC_STAT_BACKTRACE': '32', 'MALLOC_STAT_MODE': 'summary'},
		  timeout=50)
	check_ok(res, 'prog-forkcap with stacks')
	out = res.stdout.decode().split()
	n = int(out[1]) if len(out) == 2 and out[0] == 'forks' and out[1].isdigit() else 0
	check(n >= 200, 'output %r' % res.stdout)	# a signal may land as the loop ends
	files = logs(d)
	check(len(files) == n + 1, '%d logs, expected the parent and %d children' % (len(files), n))
	rep = subprocess.run([os.environ['MSTAT'], 'report', '--json', d], capture_output=True,
			     text=True, timeout=120)
	check(rep.returncode == 0, 'report: %s' % rep.stderr[-500:])
	t = json.loads(rep.stdout)['totals']
	check(t['processes'] == n + 1 and t['died'] == 0 and t['logs_cut'] == 0,
	      'report: %d processes, %d died, %d cut; expected %d' %
	      (t['processes'], t['died'], t['logs_cut'], n + 1))
	cleanup(d)
	print('ok')
	sys.exit(0)
res = run([prog('prog-signal'), mode, '3000000'])
check_ok(res, 'prog-signal %s, counters only' % mode)
print(res.stdout.decode().strip())
d = tmpdir('signal-' + mode)
res = run([prog('prog-signal'), mode, '100000'], prefix=os.path.join(d, 'log'))
check_ok(res, 'prog-signal %s with a log' % mode)
files = logs(d)
check(len(files) == 1, 'one log: %r' % files)
tree = check_logs([os.path.join(d, files[0])], roots=1, require_fini=True,
		  loose_peak=(mode == 'threads'))
img = tree.images[0]
print(res.stdout.decode().strip(), '- LOST in the log: %d' % img.lost)
cleanup(d)
print('ok')
