#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""Per-process logs (MALLOC_STAT_PREFIX) for each way of making a process:
prog-procs MODE, shell pipelines and exec chains. Every tree must pass
logcheck (one root, links resolved, replays equal to FINI) and have the
shape the case implies. Usage: test-procs.py CASE"""
import os
import shutil
import subprocess
import sys
import time

from common import (PYTHON, check, check_eq, check_logs, check_ok, cleanup, events, fail,
		    prog, run, setup, skip, tmpdir)

setup()
case = sys.argv[1]
d = tmpdir('procs-' + case)
prefix = os.path.join(d, 'log')
procs = prog('prog-procs')
child = prog('prog-child')


def run_ok(argv, **kw):
	kw.setdefault('prefix', prefix)
	kw.setdefault('cwd', d)
	res = run(argv, **kw)
	check_ok(res, ' '.join(argv[:3]))
	return res


def tree_of(**kw):
	kw.setdefault('roots', 1)
	kw.setdefault('require_fini', True)
	return check_logs([prefix], **kw)


def kids(tree, img):
	return [i for i in tree.images if i.parent is img]


def of_exe(tree, path, tag=None):
	return [i for i in tree.images if i.exe == path and
		(tag is None or i.cmdline[1:2] == [tag])]


def ancestors(img):
	out = []
	while img.parent is not None:
		img = img.parent
		out.append(img)
	return out


def own_file_and_parent(expect, least_frees):
	"""The program's own file holds exactly what it wrote; two images, the
	parent with at least least_frees frees logged."""
	with open(os.path.join(d, 'own-file'), 'rb') as f:
		check_eq(f.read(), expect, "the program's own file")
	t = tree_of()
	check_eq(len(t.images), 2, 'images')
	n = sum(1 for e in t.images[0].entries if e.type == 'free')
	check(n >= least_frees, 'frees logged in the parent: %d' % n)


def fini(img):
	return (img.fini['allocations'], img.fini['deallocations'])


if case == 'fork':
	run_ok([procs, 'fork', child])
	t = tree_of()
	root = t.roots[0]
	k = sorted(kids(t, root), key=lambda i: i.mono)
	check_eq([i.origin[0] for i in k], ['fork'] * 3, 'children of the root')
	# Each child counts only its own calls (the first also frees an
	# inherited block, which the replay must know from the fork offset).
	check_eq([fini(i) for i in k], [(5, 3), (3, 1), (0, 0)], 'children (allocations, frees)')
	check(all(int(i.hdr['INHERITED']) > 0 for i in k), 'children inherited blocks')

elif case == 'fork-exec':
	run_ok([procs, 'fork-exec', child])
	t = tree_of()
	root = t.roots[0]
	c1, = of_exe(t, child, 'fork-exec-1')
	c2, = of_exe(t, child, 'fork-exec-2')
	check_eq(c1.parent.origin[0], 'fork', 'first child exec\'d from its fork image')
	check_eq(c1.parent.parent, root, 'fork image of the first child')
	check_eq(c1.parent.pending_exec.more, [child], 'EXEC path in the fork image')
	check_eq(c2.parent, root, 'second child (no allocation before exec) links to the root')
	check_eq(len(t.images), 4, 'images')

elif case == 'spawn':
	run_ok([procs, 'spawn', child])
	t = tree_of()
	root = t.roots[0]
	for tag in ('spawn', 'spawnp'):
		img, = of_exe(t, child, tag)
		check_eq(img.parent, root, 'parent of the %s child' % tag)
		check_eq(img.origin, ('image',), 'origin of the %s child' % tag)
	for tag in ('system', 'popen'):
		img, = of_exe(t, child, tag)
		check(root in ancestors(img), '%s child descends from the root' % tag)
		check(any(a.exe in ('/usr/bin/dash', '/bin/dash') for a in ancestors(img)),
		      '%s ran through sh' % tag)

elif case == 'daemon':
	run_ok([procs, 'daemon', child])
	t = tree_of()
	root = t.roots[0]
	mid, = kids(t, root)
	daemon, = kids(t, mid)
	check_eq((mid.origin[0], daemon.origin[0]), ('fork', 'fork'), 'origins')
	check_eq(daemon.ppid, mid.pid, 'daemon PPID')
	check_eq(fini(daemon), (6, 3), 'daemon (allocations, frees)')

elif case == 'exec-missing':
	run_ok([procs, 'exec-missing', child])
	t = tree_of()
	check_eq(len(t.images), 1, 'images')
	ev = [e for e in events(t.images[0]) if not e.startswith(('malloc', 'free', 'RSS'))]
	check_eq(ev[1:5], ['EXEC 0 0x0 /nonexistent/mstat-prog', 'EXEC-FAILED 2 0x0',
			   'EXEC 0 0x0 mstat-no-such-command', 'EXEC-FAILED 2 0x0'],
		 'EXEC and EXEC-FAILED entries')
	tail = [e for e in events(t.images[0], skip=('TIME', 'RSS'))]
	k = max(i for i, e in enumerate(tail) if e.startswith('EXEC-FAILED'))
	check_eq([' '.join(e.split()[:2]) for e in tail[k + 1:]],
		 ['malloc 24', 'malloc 32', 'free 40', 'malloc 40', 'FINI 0'],
		 'entries after the failed execs')

elif case == 'vfork':
	run_ok([procs, 'vfork', child])
	t = tree_of()
	root = t.roots[0]
	check_eq([e for e in events(root) if e.startswith('EXEC')], [],
		 'EXEC entries in the parent (written by vfork children)')
	img, = of_exe(t, child, 'vfork')
	check_eq(img.parent, root, 'parent of the vfork child')
	check_eq(len(t.images), 2, 'images')

elif case == 'clone':
	run_ok([procs, 'clone', child])
	t = tree_of()
	root = t.roots[0]
	k = sorted(kids(t, root), key=lambda i: i.mono)
	check_eq([i.origin[0] for i in k], ['clone', 'clone'], 'origins of _Fork/clone children')
	check_eq([fini(i) for i in k], [(3, 2), (3, 2)], 'children (allocations, frees)')

elif case == 'chdir':
	os.mkdir(os.path.join(d, 'rel'))
	os.mkdir(os.path.join(d, 'sub'))
	prefix = os.path.join(d, 'rel', 'log')
	run_ok([procs, 'chdir', child], prefix='rel/log')
	stray = [os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs
		 if f.startswith('log.') and r != os.path.join(d, 'rel')]
	check_eq(stray, [], 'logs outside the prefix directory')
	t = tree_of()
	check_eq(len(t.images), 4, 'images')
	img, = of_exe(t, child, 'chdir')
	check_eq(img.hdr['CWD'], os.path.join(d, 'sub'), 'CWD of the exec\'d child')

elif case == 'closefd':
	run_ok([procs, 'closefd', child])
	own_file_and_parent(b'own data 1\nown data 2\n', 13000)

elif case == 'streamdup2':
	# The fd 1022 stream's private descriptor taken over by a fork child's
	# own file before the child's first entry, a header longer than a
	# batch (a 6,000-character argument): the child's file holds exactly
	# what the child wrote.
	stream = os.path.join(d, 'stream')
	fd = os.open(stream, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
	os.dup2(fd, 1022)
	os.close(fd)
	try:
		res = run([procs, 'streamdup2', child, '1', 'x' * 6000], pass_fds=(1022,), cwd=d)
	finally:
		os.close(1022)
	check_ok(res, 'streamdup2 with 1022>file')
	with open(os.path.join(d, 'own-file'), 'rb') as f:
		check_eq(f.read(), b'child\n', "the child's own file")

elif case == 'streampipe':
	# fd 1022 a pipe whose reader has gone: the stream's writes fail with
	# EPIPE, and the program must still run to its end, as it does
	# untraced (SIGPIPE would kill it).
	plain = run([procs, 'fork', child], preload=False, cwd=d)
	r, w = os.pipe()
	os.close(r)
	os.dup2(w, 1022)
	os.close(w)
	try:
		res = run([procs, 'fork', child], pass_fds=(1022,), cwd=d)
	finally:
		os.close(1022)
	check_eq((res.returncode, res.stdout), (plain.returncode, plain.stdout),
		 '(exit status, stdout) with the stream reader gone')

elif case == 'cancel':
	# 30 threads cancelled while they allocate; the program must finish
	# (a thread cancelled inside the logger would hang it) and the log be
	# whole.
	run_ok([procs, 'cancel', child, '30'], timeout=60)
	t = tree_of(threads=True)
	check_eq(len(t.images), 1, 'images')

elif case == 'dup2fork':
	# The program's file on the numbers the log would take, then fork: the
	# child keeps the program's descriptors, and both processes log in full.
	run_ok([procs, 'dup2fork', child])
	own_file_and_parent(b'child\nparent\n', 20000)

elif case == 'logmoved':
	# The log renamed away and the program's own file created under its
	# name: logging stops, and the program's file is never written or
	# truncated by the preload.
	run_ok([procs, 'logmoved', child])
	with open(os.path.join(d, 'own-file'), 'rb') as f:
		check_eq(f.read(), b'own data 1\nown data 2\n', "the program's own file")
	moved = [n for n in os.listdir(d) if n.endswith('.moved')]
	check_eq(len(moved), 1, 'the renamed log')
	with open(os.path.join(d, moved[0]), 'rb') as f:
		head = f.read(4096)
	check(head.startswith(b'# MALLOC-STAT-LOG'), 'the renamed log keeps its header')

elif case == 'fork-nested':
	# A fork child forks twice before its first allocation: three fork
	# children, no exec, each grandchild a fork child of its own parent
	# (before: they took their parent's identity, which then looked
	# exec'd and killed).
	run_ok([procs, 'fork-nested', child, '1000'])
	t = tree_of()
	root = t.roots[0]
	check_eq([i.origin[0] for i in kids(t, root)], ['fork'], "the root's children")
	a = kids(t, root)[0]
	grand = kids(t, a)
	check_eq(sorted(i.origin[0] for i in grand), ['fork', 'fork'], "the grandchildren")
	check_eq(len({i.pid for i in [root, a] + grand}), 4, 'four processes')
	check_eq(len(t.images), 4, 'one image each')
	for g in grand:
		check_eq(g.ppid, a.pid, 'a grandchild names its parent')

elif case == 'interpose':
	# With another preload whose fstat allocates at its first call and
	# whose clock runs three years ahead (fakeroot, faketime):
	# the allocations made while the log is set up are logged (FINI and
	# the entries agree), and fork children, whose START comes from the
	# boot clock, still name the process their exec'd image names.
	lib = os.path.join(os.path.dirname(procs), 'lib-interpose.so')
	run_ok([procs, 'fork-exec', child],
	       extra_env={'LD_PRELOAD': lib + ':' + os.environ['MALLOC_STAT_SO']})
	t = tree_of()
	check_eq(len(t.roots), 1, 'one tree')
	now = time.time()
	for img in t.images:
		wall = int(img.hdr['TIME'].split()[0]) / 1e9
		check(abs(wall - now) < 3600, '%s: TIME is real time, not the fake: %s' % (img.where, wall))

elif case == 'fork-race':
	# Three threads forking at once (a hang before: one thread's fork
	# handler forgot that another's had taken the lock); every child's
	# ORIGIN offset is the one its parent's FORK entry names.
	run_ok([procs, 'fork-race', child, '200'])
	t = tree_of(threads=True)
	check_eq(len(kids(t, t.roots[0])), 600, 'fork children')

elif case == 'fork-stdio':
	# Threads forking while others hold stdio's locks and allocate (glibc's
	# tst-malloc-fork-deadlock): hung every time when the prepare handler
	# held the writer. Looped, with full logs and with a stack for every
	# allocation (the unwinder takes the loader lock).
	for stacks in ('0', '16', '0', '16'):
		shutil.rmtree(d)
		os.mkdir(d)
		run_ok([procs, 'fork-stdio', child, '150'], timeout=100,
		       extra_env={'MALLOC_STAT_BACKTRACE': stacks})
		t = tree_of(threads=True)
		check_eq(len(kids(t, t.roots[0])), 300, 'fork children')

elif case == 'fork-threads':
	run_ok([procs, 'fork-threads', child, '300'])
	t = tree_of(threads=True)
	check_eq(len(kids(t, t.roots[0])), 300, 'fork children')

elif case == 'threaded-child':
	# The child's two threads make 400,000 calls (2 x 100,000 pairs) while the first event's
	# thread sets its log up: none may be lost (LOST) or come before the
	# set-up's (a block allocated twice, a free before its block), in
	# either kind. Many runs: which thread gets there first varies.
	import importlib.util
	spec = importlib.util.spec_from_file_location(
		'sr', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'summary',
				   'summary-read.py'))
	sr = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(sr)
	n = 100000
	for r in range(6):
		shutil.rmtree(d)
		os.mkdir(d)
		run_ok([procs, 'threaded-child', child, str(n)])
		t = tree_of(threads=True)
		k = kids(t, t.roots[0])
		check_eq(len(k), 1, 'fork children')
		check(not k[0].inexact, 'run %d: the child lost nothing: %r' % (r, k[0].fini))
		check(fini(k[0])[0] >= 2 * n, 'run %d: the child\'s allocations %r'
		      % (r, fini(k[0])))
		check_eq(sum(1 for e in k[0].entries if e.type == 'malloc'), fini(k[0])[0],
			 'run %d: the child\'s malloc entries against FINI' % r)
		shutil.rmtree(d)
		os.mkdir(d)
		run_ok([procs, 'threaded-child', child, str(n)],
		       extra_env={'MALLOC_STAT_MODE': 'summary'})
		sums = [os.path.join(d, f) for f in os.listdir(d) if f.startswith('log.')]
		bodies = [sr.decode(f) for f in sums]
		child_b = [b for b in bodies if b['counters']['allocations'] >= 2 * n]
		check_eq(len(child_b), 1, 'run %d: the summary of the child' % r)
		c = child_b[0]
		check(c['lost'] == 0 and c['unknown_frees']['count'] == 0,
		      'run %d: the summary lost nothing: lost %d, unknown frees %r'
		      % (r, c['lost'], c['unknown_frees']))

elif case == 'fork-in-setup':
	# 40 fork children whose second thread forks while the first event's
	# sets the child's log up: each grandchild still gets its log, linked
	# to its parent (one forked in the middle of the set-up inherited it
	# half done, and then waited at every event for a thread it does not
	# have, or logged nothing).
	n = 40
	run_ok([procs, 'fork-in-setup', child, str(n)], timeout=100)
	t = tree_of(threads=True)
	k = kids(t, t.roots[0])
	check_eq(len(k), n, 'fork children')
	check_eq(sorted(len(kids(t, c)) for c in k), [1] * n, 'each child\'s fork children')
	check(all(fini(g)[0] >= 10 for c in k for g in kids(t, c)),
	      'the grandchildren logged their calls: %r' % [fini(g) for c in k for g in kids(t, c)])

elif case == 'pidreuse':
	# 200 traced children, the pid counter run round (pid_max is 32768
	# here) by children of raw clone that log nothing, 200 more: the second
	# lap reuses the first one's pids, and no two processes may be confused.
	# Other programs on the machine take pids meanwhile: on a busy one
	# fewer of ours come round again, and a lap that reused almost none
	# proves nothing, so it runs again (at most four times).
	for attempt in range(4):
		shutil.rmtree(d)
		os.mkdir(d)
		run_ok([procs, 'pidreuse', child, '200'], timeout=150)
		t = tree_of()
		root = t.roots[0]
		k = kids(t, root)
		check_eq(len(k), 400, 'children of the root')
		check_eq(len({(i.pid, i.start) for i in k}), 400, 'distinct (PID, START) pairs')
		check_eq(len({i.name for i in k}), 400, 'distinct files')
		pids = [i.pid for i in k]
		reused = len(pids) - len(set(pids))
		print('attempt %d: %d pids reused' % (attempt + 1, reused))
		if reused >= 10:
			break
	check(reused >= 10, 'pids reused by two traced children: %d' % reused)

elif case == 'identity':
	# Fork children name themselves without reading /proc (START from a
	# clock read on both sides of fork, EXE and CMDLINE from the parent):
	# every child's header must say what /proc says of it. 300 children,
	# some forked from threads, some sleeping past a clock tick.
	args = [procs, 'identity', child, '300', 'two words', 'back\\slash', 'new\nline', '']
	res = run_ok(args)
	out = res.stdout
	seen = {}
	while out:
		line, _, out = out.partition(b'\n')
		if line.startswith(b'procs '):
			continue
		pid, start, n = (int(x) for x in line.split())
		cmd, out = out[:n], out[n:]
		seen[pid] = (start, [a.decode() for a in cmd.split(b'\0')[:-1]])
	t = tree_of()
	root = t.roots[0]
	k = kids(t, root)
	check_eq(len(seen), 300, 'children that reported')
	check_eq(sorted(i.pid for i in k), sorted(seen), 'children logged')
	check_eq(root.cmdline, args, 'the root\'s CMDLINE')
	bad = [(i.pid, i.start, seen[i.pid][0]) for i in k if i.start != seen[i.pid][0]]
	check_eq(bad, [], '(pid, START, /proc START) that differ')
	check_eq({tuple(seen[i.pid][1]) for i in k}, {tuple(args)}, '/proc/PID/cmdline')
	check_eq({tuple(i.cmdline) for i in k}, {tuple(args)}, 'children\'s CMDLINE')
	check_eq({i.exe for i in k}, {os.path.realpath(procs)}, 'children\'s EXE')
	check_eq({(i.ppid, i.pstart) for i in k}, {(root.pid, root.start)}, '(PPID, PSTART)')
	# HOST and BOOT name the machine and its boot, so that pids of
	# several machines stay apart: the same in every image, fork children
	# (which keep their parent's boot id) included.
	host = subprocess.run(['uname', '-n'], stdout=subprocess.PIPE, text=True,
			      check=True).stdout.rstrip('\n')
	with open('/proc/sys/kernel/random/boot_id') as f:
		boot = f.read().rstrip('\n')
	check_eq({(i.hdr.get('HOST'), i.hdr.get('BOOT')) for i in t.images}, {(host, boot)},
		 '(HOST, BOOT) of every image')

elif case == 'missing-dir':
	# The program runs as without the preload, stderr included (a line
	# there changes what a configure test decides); one line only when
	# MALLOC_STAT_VERBOSE asks.
	plain = run([procs, 'fork', child], preload=False, cwd=d)
	missing = os.path.join(d, 'no', 'such', 'dir', 'log')
	res = run([procs, 'fork', child], prefix=missing, cwd=d)
	check_eq((res.returncode, res.stdout, res.stderr),
		 (plain.returncode, plain.stdout, plain.stderr), '(exit status, stdout, stderr)')
	res = run([procs, 'fork', child], prefix=missing, cwd=d,
		  extra_env={'MALLOC_STAT_VERBOSE': '1'})
	check_eq((res.returncode, res.stdout), (plain.returncode, plain.stdout),
		 '(exit status, stdout)')
	lines = res.stderr.decode().splitlines()
	check_eq(len(lines), 1, 'stderr lines: %r' % lines)
	check(lines[0].startswith('malloc-stat: cannot create log'), 'the complaint: %r' % lines[0])
	check_eq(os.listdir(d), [], 'files made')

elif case == 'exec-chain':
	# sh -> env -> prog-child: one process, three images.
	res = run_ok(['sh', '-c', 'exec env MSTAT_X=1 %s chain' % child])
	t = tree_of()
	img, = of_exe(t, child, 'chain')
	chain = [img] + ancestors(img)
	check_eq([os.path.basename(i.exe) for i in chain], ['prog-child', 'env', 'dash'],
		 'exec chain')
	check_eq(len({(i.pid, i.start) for i in chain}), 1, 'one process')
	check_eq(len(t.images), 3, 'images')

elif case in ('bash', 'dash'):
	shell = shutil.which(case)
	if not shell:
		skip('%s is not installed' % case)
	script = ('(%s sub1; echo x | cat) | cat; v=$(%s sub2 | cat); echo "$v" | wc -c; '
		  '{ %s group; } | cat >/dev/null; ls / | wc -l' % (child, child, child))
	plain = run([shell, '-c', script], preload=False, cwd=d)
	res = run_ok([shell, '-c', script])
	check_eq(res.stdout, plain.stdout, 'output')
	t = tree_of()
	for tag in ('sub1', 'sub2', 'group'):
		img, = of_exe(t, child, tag)
		check_eq(ancestors(img)[-1], t.roots[0], 'the %s child descends from the shell' % tag)
	check(len(t.images) >= 8, 'images: %d' % len(t.images))

elif case == 'python-subprocess':
	code = ('import subprocess, sys\n'
		'subprocess.run([sys.argv[1], "py-run"], check=True)\n'
		'subprocess.run(sys.argv[1] + " py-shell | cat", shell=True, check=True)\n'
		'out = subprocess.check_output([sys.argv[1], "py-out"])\n'
		'print(out.decode().split()[1])\n')
	res = run_ok([PYTHON, '-c', code, child])
	check(res.stdout.endswith(b'py-out\n'), 'output: %r' % res.stdout)
	t = tree_of()
	for tag in ('py-run', 'py-shell', 'py-out'):
		img, = of_exe(t, child, tag)
		check_eq(ancestors(img)[-1], t.roots[0], 'the %s child descends from python' % tag)
	check_eq(t.roots[0].exe, os.path.realpath(PYTHON), 'the root is python')

elif case == 'stream':
	# fd 1022 opened by bash for a whole tree: whole entries, each write
	# headed by its writer's pid; it must replay like files.
	bash = shutil.which('bash') or skip('bash is not installed')
	stream = os.path.join(d, 'stream')
	script = ('%s fork %s >/dev/null; sh -c "ls / | cat >/dev/null"; %s spawn %s >/dev/null'
		  % (procs, child, procs, child))
	# The outer bash opens 1022 and becomes the traced bash through exec.
	res = run([bash, '-c', 'exec 1022>"$1"; shift; exec "$@"', 'bash', stream,
		   bash, '-c', script], cwd=d)
	check_ok(res, 'bash with 1022>file')
	t = check_logs([stream], stream=True, roots=1, require_fini=True)
	check(len(t.images) >= 12, 'images in the stream: %d' % len(t.images))
	check_eq(os.listdir(d), ['stream'], 'files made')

else:
	fail('unknown case %r' % case)

cleanup(d)
print('ok')
