#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""prog-alloc under the preload (counters exact, errno kept) and without it
(the same allocator semantics from glibc alone); its log must hold exactly
the entries the program says it caused, between its two marker blocks."""
import os

from common import (check, check_eq, check_logs, check_ok, cleanup, events, fail, logs,
		    prog, run, setup, tmpdir)

setup()
d = tmpdir('alloc')
exe = prog('prog-alloc')

res = run([exe, '--no-preload'], preload=False)
check_ok(res, 'prog-alloc without the preload')

expect = os.path.join(d, 'expect')
res = run([exe, expect], prefix=os.path.join(d, 'log'))
check_ok(res, 'prog-alloc under the preload')
check_eq(res.stderr, b'', 'stderr')

files = logs(d)
check_eq(len(files), 1, 'number of logs')
tree = check_logs([os.path.join(d, files[0])], roots=1, require_fini=True)
# RSS samples come with the clock, whenever the process has lived 10 ms:
# on a loaded machine one may fall between the markers.
got = events(tree.images[0], skip=('TIME', 'RSS'))
want = open(expect).read().splitlines()
check(len(want) > 35, 'expectations written')
start = got.index(want[0]) if want[0] in got else fail('start marker not logged')
check_eq(got[start:start + len(want)], want, 'entries between the markers')
cleanup(d)
print('ok: %d entries as expected' % len(want))
