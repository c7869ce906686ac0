# SPDX-License-Identifier: LGPL-3.0-or-later
"""Helpers for the preload test drivers: where the preload and the probe
programs are, running a program with or without the preload, assertions
that print file:line, skips (exit 77), log checks through logcheck.py and
the syscalls of an strace output.
"""
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logcheck  # noqa: E402

PRELOAD = os.environ.get('MALLOC_STAT_SO', '')
PROG_DIR = os.environ.get('PROG_DIR', '')
SRC_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON = '/usr/bin/python3'


def _where():
	f = inspect.stack()[2]
	return '%s:%d' % (os.path.basename(f.filename), f.lineno)


def fail(msg):
	print('%s: FAIL: %s' % (_where(), msg), file=sys.stderr)
	sys.exit(1)


def check(cond, msg='check failed'):
	if not cond:
		print('%s: FAIL: %s' % (_where(), msg), file=sys.stderr)
		sys.exit(1)


def check_eq(a, b, what='values'):
	if a != b:
		print('%s: FAIL: %s differ:\n  got:      %r\n  expected: %r'
		      % (_where(), what, a, b), file=sys.stderr)
		sys.exit(1)


def skip(reason):
	print('SKIP: %s' % reason)
	sys.exit(77)


def setup():
	if not os.path.isabs(PRELOAD) or not os.path.exists(PRELOAD):
		fail('MALLOC_STAT_SO must be the absolute path of malloc-stat.so, got %r'
		     % PRELOAD)


def prog(name):
	path = os.path.join(PROG_DIR, name)
	if not os.path.exists(path):
		skip('%s was not built' % name)
	return path


def tmpdir(tag):
	"""A fresh directory for one test; removed by cleanup() on success."""
	d = tempfile.mkdtemp(prefix='mstat-%s-' % tag)
	print('work dir: %s' % d)
	return d


def cleanup(d):
	shutil.rmtree(d, ignore_errors=True)


def env(preload=True, prefix=None, extra=None):
	e = {k: v for k, v in os.environ.items()
	     if k not in ('LD_PRELOAD', 'MALLOC_STAT_PREFIX')}
	e['LC_ALL'] = 'C'
	if preload:
		e['LD_PRELOAD'] = PRELOAD
	if prefix:
		e['MALLOC_STAT_PREFIX'] = prefix
	if extra:
		e.update(extra)
	return e


def run(argv, preload=True, prefix=None, extra_env=None, timeout=120, **kw):
	"""Runs argv to completion; returns the CompletedProcess (bytes)."""
	kw.setdefault('stdout', subprocess.PIPE)
	kw.setdefault('stderr', subprocess.PIPE)
	return subprocess.run(argv, env=env(preload, prefix, extra_env), timeout=timeout,
			      **kw)


def check_ok(res, what):
	if res.returncode != 0:
		print(res.stdout.decode(errors='replace')[-3000:], file=sys.stderr)
		print(res.stderr.decode(errors='replace')[-3000:], file=sys.stderr)
		print('%s: FAIL: %s exited with %d' % (_where(), what, res.returncode),
		      file=sys.stderr)
		sys.exit(1)


def logs(d, prefix='log'):
	return sorted(f for f in os.listdir(d) if f.startswith(prefix + '.'))


def check_logs(paths, stream=False, **kw):
	"""Loads and checks logs with logcheck; fails on any error. Returns the
	tree (its images, each with its parent)."""
	if stream:
		trees = [logcheck.load_stream(p) for p in paths]
		tree = logcheck.Tree([i for t in trees for i in t.images],
				     [e for t in trees for e in t.errors])
	else:
		tree = logcheck.load(paths)
	errors = tree.check(**kw)
	if errors:
		for e in errors[:50]:
			print('  ' + e, file=sys.stderr)
		print('%s: FAIL: logcheck found %d errors in %d images'
		      % (_where(), len(errors), len(tree.images)), file=sys.stderr)
		sys.exit(1)
	return tree


def events(img, skip=('TIME',)):
	"""An image's entries as 'TYPE A 0xB MORE' strings, like the log lines."""
	out = []
	for e in img.entries:
		if e.type in skip:
			continue
		more = e.more if isinstance(e.more, list) else []
		out.append(' '.join([e.type, str(e.a), '0x%x' % e.b] + more))
	return out


LINE_RE = re.compile(r'(\d+)\s+(.*)$')
RESUMED_RE = re.compile(r'<\.\.\. (\w+) resumed>(.*)$')
RET_RE = re.compile(r'\)\s+= (-?\d+)')


def syscalls(path):
	"""(pid, name, text, ret) per completed syscall, in trace order."""
	pending = {}
	for line in open(path, errors='replace'):
		m = LINE_RE.match(line.rstrip('\n'))
		if not m:
			continue
		pid, rest = int(m.group(1)), m.group(2)
		if rest.startswith(('---', '+++')):
			continue
		r = RESUMED_RE.match(rest)
		if r:
			name, text = pending.pop(pid)
			text += r.group(2)
		elif rest.endswith('<unfinished ...>'):
			pending[pid] = (rest.split('(')[0], rest[:-len('<unfinished ...>')])
			continue
		else:
			name, text = rest.split('(')[0], rest
		ret = RET_RE.search(text)
		yield pid, name, text, int(ret.group(1)) if ret else None
