#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""make -j2 of data/mini-project under the preload and strace. The traced
processes must be exactly the dynamically linked ones that ran, as strace
counts them independently: one ORIGIN image log per successful execve, one
fork log per fork child that never exec'd; and each log's parent link must
point at the log of the process image that created it."""
import os
import re
import shutil
import subprocess

from common import (PRELOAD, SRC_DIR, check, check_eq, check_logs, cleanup, env, fail, setup,
		    skip, syscalls, tmpdir)

def is_dynamic(path, depth=0):
	"""ELF with PT_INTERP, or a script whose interpreter is one."""
	try:
		with open(path, 'rb') as f:
			head = f.read(64)
			if head.startswith(b'#!') and depth < 4:
				f.seek(0)
				interp = f.readline()[2:].split()
				return bool(interp) and is_dynamic(interp[0].decode(), depth + 1)
			if head[:4] != b'\x7fELF' or head[4] != 2:
				return False
			phoff = int.from_bytes(head[32:40], 'little')
			phentsize = int.from_bytes(head[54:56], 'little')
			phnum = int.from_bytes(head[56:58], 'little')
			f.seek(phoff)
			ph = f.read(phentsize * phnum)
	except OSError:
		return False
	return any(int.from_bytes(ph[i * phentsize:i * phentsize + 4], 'little') == 3
		   for i in range(phnum))


setup()
for tool in ('strace', 'make', 'cc'):
	if not shutil.which(tool):
		skip('%s is not installed' % tool)
d = tmpdir('make')
proj = os.path.join(d, 'mini-project')
shutil.copytree(os.path.join(SRC_DIR, 'data', 'mini-project'), proj)
logdir = os.path.join(d, 'logs')
os.mkdir(logdir)
trace = os.path.join(d, 'trace')
e = env(preload=False)
e['PATH'] = '/usr/bin:/bin'
res = subprocess.run(['strace', '-f', '-qq', '-o', trace,
		      '-e', 'trace=execve,fork,vfork,clone,clone3',
		      '-E', 'LD_PRELOAD=' + PRELOAD,
		      '-E', 'MALLOC_STAT_PREFIX=' + os.path.join(logdir, 'log'),
		      'make', '-j2'], cwd=proj, env=e, stdout=subprocess.PIPE,
		     stderr=subprocess.STDOUT, timeout=240)
if res.returncode:
	fail('make -j2 failed:\n%s' % res.stdout.decode()[-3000:])
check(os.path.exists(os.path.join(proj, 'out.txt')), 'the build ran the program')

# What ran, by strace: each process's creator, how, and its execs.
parent, vm_child, threads, execs = {}, set(), set(), {}
creations = {}		# child pid -> number of execs of its creator before
root = None
for pid, name, text, ret in syscalls(trace):
	if root is None:
		root = pid
	execs.setdefault(pid, [])
	if name in ('clone', 'clone3', 'fork', 'vfork') and ret and ret > 0:
		parent[ret] = pid
		creations[ret] = len(execs[pid])
		if 'CLONE_THREAD' in text:
			threads.add(ret)
		elif name == 'vfork' or 'CLONE_VM' in text:
			vm_child.add(ret)
	elif name == 'execve' and ret == 0:
		path = re.match(r'execve\("((?:[^"\\]|\\.)*)"', text).group(1)
		execs[pid].append(os.path.normpath(os.path.join(proj, path)))
check(root is not None, 'strace saw the build')

want_exec = {}		# pid -> number of dynamic exec images
want_fork = set()	# fork children that never exec'd: a log each
for pid, paths in execs.items():
	if pid in threads:
		continue
	if not paths and pid != root:
		if pid not in vm_child:
			want_fork.add(pid)
		continue
	check(all(is_dynamic(p) for p in paths), 'static program ran: %r' % paths)
	want_exec[pid] = len(paths)

tree = check_logs([logdir], roots=1, require_fini=True)
got_exec, got_fork = {}, {}
for img in tree.images:
	if img.origin[0] == 'image':
		got_exec[img.pid] = got_exec.get(img.pid, 0) + 1
	else:
		got_fork[img.pid] = got_fork.get(img.pid, 0) + 1
check_eq(got_exec, want_exec, 'exec images per process (logs vs strace)')
check_eq({p for p, n in got_fork.items() if p in want_fork}, want_fork,
	 'fork children that never exec\'d')
extra = {p for p in got_fork if p not in want_fork and p not in want_exec}
check_eq(extra, set(), 'fork logs of processes strace did not see')
check_eq(set(got_exec) | set(got_fork), set(want_exec) | want_fork, 'traced processes')

# Parent links: the creator's image current at the creation.
for img in tree.images:
	chain = sorted((i for i in tree.images if i.pid == img.pid), key=lambda i: i.mono)
	k = chain.index(img)
	if k > 0:
		check_eq(img.parent, chain[k - 1], 'exec predecessor of %s' % img.where)
		continue
	if img.pid == root:
		check_eq(tree.roots, [img], 'the root')
		continue
	creator = parent.get(img.pid)
	check(creator is not None, 'strace saw %s created' % img.where)
	pchain = sorted((i for i in tree.images if i.pid == creator), key=lambda i: i.mono)
	execs_before = creations[img.pid]
	forked = 1 if pchain and pchain[0].origin[0] != 'image' else 0
	want = pchain[execs_before - 1 + forked] if execs_before or forked else None
	check_eq(img.parent, want, 'parent of %s (%s)' % (img.where, img.exe))
print('%d logs for %d processes; %d exec images, %d fork children' % (
	len(tree.images), len(set(got_exec) | set(got_fork)), sum(want_exec.values()),
	len(want_fork)))
cleanup(d)
print('ok')
