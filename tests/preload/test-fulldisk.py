#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""A full disk stops logging, never the program: logs go to a 256 KiB tmpfs
that fills up during the run. The programs (prog-alloc, which checks errno
after every call, ls, sh, python3) must finish with the same stdout, stderr
and exit status as without the preload. Every log that stopped says why
in a CUT entry (errno 28) and holds whole entries up to there; every
image that got no log at all is in PREFIX.nolog, made beforehand as
`malloc-stat run` makes it. Then, through `malloc-stat run --json`, a
shell that fills the disk and starts more children: each process that got
no log is counted once, in no_log[] (not also as an untraced child), and
no more processes are counted than strace saw start."""
import json
import os
import shutil
import subprocess

from common import (PYTHON, check, check_eq, check_logs, cleanup, env, prog, run, setup, skip,
		    syscalls, tmpdir)

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


def started(trace):
	"""Processes that strace saw made (threads left out)."""
	return sum(1 for pid, name, text, ret in syscalls(trace)
		   if name in ('fork', 'vfork', 'clone', 'clone3') and ret and ret > 0 and
		   'CLONE_THREAD' not in text)


def run_counted():
	mstat = os.environ.get('MSTAT')
	if not mstat or not shutil.which('strace'):
		print('no malloc-stat or strace: the report is not checked')
		return
	subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], check=True)
	try:
		trace = os.path.join(d, 'trace')
		out = os.path.join(d, 'report.json')
		# Once cat has filled the disk, the shell's vfork children (and
		# env's exec) get no log, while the shell's log still has room
		# for their SPAWN entries.
		script = ('ls -la /usr/bin | wc -l; %s -c "print(sum(range(10**6)))"; '
			  'cat /dev/zero >%s/fill 2>/dev/null; /bin/true; /bin/true; env true; exit 0'
			  % (PYTHON, mnt))
		res = subprocess.run([mstat, 'run', '-o', mnt + '/', '--json', '--output', out, '--',
				      'strace', '-f', '-qq', '-o', trace,
				      '-e', 'trace=fork,vfork,clone,clone3', 'sh', '-c', script],
				     env=env(preload=False), stdout=subprocess.PIPE,
				     stderr=subprocess.PIPE, timeout=120)
		check_eq(res.returncode, 0, 'exit status of malloc-stat run')
		with open(out) as f:
			rep = json.load(f)
	finally:
		subprocess.run(['umount', mnt])
	nolog = {(n['pid'], n['start']) for n in rep['no_log']}
	check(nolog, 'some images got no log')
	both = {u['pid'] for u in rep['untraced']} & {pid for pid, start in nolog}
	check(not both, 'pids both untraced and without a log: %r' % sorted(both))
	traced = {(im['pid'], im['start']) for im in rep['images'] if not im['virtual']}
	n = 2 + started(trace)	# strace and sh, then what strace saw
	t = rep['totals']
	check_eq(t.get('no_log_processes'), len(nolog - traced), 'totals.no_log_processes')
	check(t['processes'] + t['untraced'] + len(nolog - traced) <= n,
	      'traced %d + untraced %d + without a log %d, but %d processes started' % (
		      t['processes'], t['untraced'], len(nolog - traced), n))
	check(t.get('processes_started', n + 1) <= n,
	      'totals.processes_started %r, but %d started' % (t.get('processes_started'), n))
	print('%d processes: %d traced, %d untraced, %d without a log' % (
		n, t['processes'], t['untraced'], len(nolog - traced)))


run_counted()
cleanup(d)
print('ok')
