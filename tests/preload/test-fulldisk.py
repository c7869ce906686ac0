#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""A full disk stops logging, never the program: logs go to a 256 KiB tmpfs
that fills up during the run. The programs (prog-alloc, which checks errno
after every call, ls, sh, python3) must finish with the same stdout, stderr
and exit status as without the preload. Every log that stopped says why
in a CUT entry (errno 28) and holds whole entries up to there; every
image that got no log at all is in PREFIX.nolog, made beforehand as
`malloc-stat run` makes it."""
import os
import subprocess

from common import (PYTHON, check, check_eq, check_logs, cleanup, prog, run, setup, skip,
		    tmpdir)

setup()
d = tmpdir('fulldisk')
mnt = os.path.join(d, 'mnt')
os.mkdir(mnt)
r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt],
		   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
if r.returncode:
	cleanup(d)
	skip('cannot mount a small tmpfs (needs root): %s' % r.stdout.strip())
try:
	# The layout doc/log-format.md gives: a version line, then slots.
	nolog = os.path.join(mnt, 'log.nolog')
	with open(nolog, 'wb') as f:
		f.write(b'# MALLOC-STAT-NOLOG 1\n'.ljust(256, b'\0') + bytes(256 * 127))
	# Leave about half: the first logs fit, later ones hit ENOSPC.
	with open(os.path.join(mnt, 'filler'), 'wb') as f:
		f.write(b'x' * (96 << 10))
	alloc = prog('prog-alloc') + ' --auto >/dev/null'
	script = ('%s && ls -la /usr/bin | cat | wc -l && %s -c "print(sum(range(10**6)))" '
		  '&& ls -laR /usr/share/doc | wc -l && %s' % (alloc, PYTHON, alloc))
	plain = run(['sh', '-c', script], preload=False)
	check_eq(plain.returncode, 0, 'exit status without the preload')
	res = run(['sh', '-c', script], prefix=os.path.join(mnt, 'log'))
	check_eq(res.returncode, 0, 'exit status with a full disk')
	check_eq(res.stdout, plain.stdout, 'stdout with a full disk')
	check_eq(res.stderr, plain.stderr, 'stderr with a full disk')
	logs = [os.path.join(mnt, f) for f in os.listdir(mnt)
		if f.startswith('log.') and f != 'log.nolog']
	# A process killed while it made its file would leave it empty; none is
	# here. Every log holds whole entries up to where it stopped, and its
	# counters where it reached FINI.
	tree = check_logs(logs)
	check(tree.images, 'some logs were written')
	stopped = [i for i in tree.images if i.fini is None and i.pending_exec is None]
	check(stopped, 'a log stopped early (the disk filled up)')
	for i in stopped:
		check_eq(i.cut, 28, '%s: the CUT entry that ends a log stopped early' % i.where)
	with open(nolog, 'rb') as f:
		data = f.read()
	recs = [data[o:o + 256].split(b'\n')[0].split() for o in range(256, len(data), 256)
		if data[o:o + 1] == b'+']
	check(recs, 'images that got no log are recorded in log.nolog')
	logged = {i.pid for i in tree.images}
	for r in recs:
		check_eq(r[5], b'28', 'errno of a record %r' % r)
		check(int(r[1]) not in logged or r[6] == b'write',
		      'a record of a process that has a log: %r' % r)
	print('%d logs: %d with FINI, %d cut short; %d images without a log' % (
		len(logs), sum(i.fini is not None for i in tree.images), len(stopped), len(recs)))
finally:
	subprocess.run(['umount', mnt])
cleanup(d)
print('ok')
