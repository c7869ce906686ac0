#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Signal handlers that allocate while the interrupted thread is inside the
preload (prog-signal: interval timer, alone or while a second thread
allocates), with logging on: no deadlock (meson's timeout), counters exact
(checked by the program), and a log that replays to its FINI; events the
writer reports LOST must account exactly for what the replay misses.
Usage: test-signal.py timer|threads"""
import os
import sys

from common import check, check_logs, check_ok, cleanup, logs, prog, run, setup, tmpdir

setup()
mode = sys.argv[1]
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
