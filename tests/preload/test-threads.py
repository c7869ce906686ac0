#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Threaded stress: prog-threads checks its counters exactly through the
API (4 threads, 4 million calls, cross-thread frees); a smaller run with a
log must replay to the FINI counters."""
import os

from common import check, check_logs, check_ok, cleanup, logs, prog, run, setup, tmpdir

setup()
exe = prog('prog-threads')
res = run([exe, '4', '1000000'])
check_ok(res, 'prog-threads, counters only')
check(res.stdout.startswith(b'calls 4000000 '), 'calls made: %r' % res.stdout)

d = tmpdir('threads')
res = run([exe, '4', '60000'], prefix=os.path.join(d, 'log'))
check_ok(res, 'prog-threads with a log')
files = logs(d)
check(len(files) == 1, 'one log: %r' % files)
tree = check_logs([os.path.join(d, files[0])], roots=1, require_fini=True, loose_peak=True)
fini = tree.images[0].fini
check(fini['allocations'] >= 240000, 'FINI counts the calls: %r' % fini)
check(not tree.images[0].inexact, 'nothing LOST or skipped')
cleanup(d)
print('ok')
