#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""A full disk stops logging, never the program: logs go to a 256 KiB tmpfs
that fills up during the run. The programs (prog-alloc, which checks errno
after every call, ls, sh, python3) must finish with the same stdout and
exit status as without the preload; stderr may only gain malloc-stat's
one-line complaints; what was logged must still be whole entries."""
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
	# Leave about half: the first logs fit, later ones hit ENOSPC.
	with open(os.path.join(mnt, 'filler'), 'wb') as f:
		f.write(b'x' * (128 << 10))
	alloc = prog('prog-alloc') + ' --auto >/dev/null'
	script = ('%s && ls -la /usr/bin | cat | wc -l && %s -c "print(sum(range(10**6)))" '
		  '&& ls -laR /usr/share/doc | wc -l && %s' % (alloc, PYTHON, alloc))
	plain = run(['sh', '-c', script], preload=False)
	check_eq(plain.returncode, 0, 'exit status without the preload')
	res = run(['sh', '-c', script], prefix=os.path.join(mnt, 'log'))
	check_eq(res.returncode, 0, 'exit status with a full disk')
	check_eq(res.stdout, plain.stdout, 'stdout with a full disk')
	extra = [l for l in res.stderr.decode().splitlines() if not l.startswith('malloc-stat: ')]
	check_eq(extra, plain.stderr.decode().splitlines(), 'stderr besides malloc-stat lines')
	logs = [os.path.join(mnt, f) for f in os.listdir(mnt) if f.startswith('log.')]
	# A process whose header did not fit leaves an empty file (see the
	# report); every other log holds whole entries up to where it stopped,
	# and its counters where it reached FINI.
	empty = [f for f in logs if os.path.getsize(f) == 0]
	tree = check_logs([f for f in logs if f not in empty])
	check(tree.images, 'some logs were written')
	stopped = [i for i in tree.images if i.fini is None and i.pending_exec is None]
	check(stopped, 'a log stopped early (the disk filled up)')
	print('%d logs: %d with FINI, %d stopped early, %d empty; %d complaints' % (
		len(logs), sum(i.fini is not None for i in tree.images), len(stopped), len(empty),
		len(res.stderr.decode().splitlines()) - len(extra)))
finally:
	subprocess.run(['umount', mnt])
cleanup(d)
print('ok')
