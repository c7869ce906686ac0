#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""The oracle can fail: logcheck passes a real tree of logs (prog-procs
fork) and finds each of a set of corruptions made to a copy of it."""
import os
import re
import shutil

from common import check, check_eq, cleanup, logcheck, logs, prog, run, setup, tmpdir

setup()
d = tmpdir('logcheck')
good = os.path.join(d, 'good')
os.mkdir(good)
res = run([prog('prog-procs'), 'fork', prog('prog-child')], prefix=os.path.join(good, 'log'))
check_eq(res.returncode, 0, 'prog-procs fork')
tree = logcheck.load([good])
check_eq(tree.check(roots=1, require_fini=True), [], 'errors in the untouched logs')
root = tree.roots[0].name
child = [i for i in tree.images if i.parent is tree.roots[0]][0].name


def sub(pattern, repl, text, count=1):
	new = re.sub(pattern, repl, text, count=count, flags=re.M)
	check(new != text, 'mutation %r applies' % pattern)
	return new


def last_freed_malloc(text):
	"""The line of a malloc whose block is freed later on."""
	for m in re.finditer(r'^\+ malloc \d+ (0x[0-9a-f]+) \d+\n-\n', text, re.M):
		if re.search(r'^\+ free \d+ %s$' % m.group(1), text[m.end():], re.M):
			return m.group(0)
	check(False, 'a malloc freed later')


MUTATIONS = [
	('unknown free', root, lambda t: t.replace(last_freed_malloc(t), '', 1),
	 'free of unknown block'),
	('FINI counter', root, lambda t: sub(r'(FINI 0 0x0 allocations=)(\d+)',
					     lambda m: m.group(1) + str(int(m.group(2)) + 1), t),
	 'allocations='),
	('torn entry', root, lambda t: t[:t.rindex('\n-\n')], 'no newline'),
	('bad usable', root, lambda t: sub(r'^(\+ free )(\d+)',
					   lambda m: m.group(1) + str(int(m.group(2)) + 16), t),
	 'freed with size'),
	('data after NUL', root, lambda t: t + '\0\0garbage\n+ malloc 1 0x10 24\n-\n', 'after the first NUL'),
	('fork offset', child, lambda t: sub(r'^(# ORIGIN fork \S+ )(\d+)',
					     lambda m: m.group(1) + str(int(m.group(2)) + 1), t),
	 'not an entry start'),
	('INHERITED', child, lambda t: sub(r'^(# INHERITED )(\d+)',
					  lambda m: m.group(1) + str(int(m.group(2)) + 8), t),
	 'INHERITED'),
	('missing parent', child, lambda t: sub(r'^(# ORIGIN fork )(\S+)', r'\1log.0.0.0', t),
	 'missing file'),
	('double allocation', root, lambda t: sub(r'^(\+ malloc .*\n-\n)', r'\1\1', t),
	 'allocated while live'),
	('unknown type', root, lambda t: sub(r'^\+ malloc ', '+ mallocx ', t),
	 'unknown entry type'),
	('no version line', root, lambda t: t.split('\n', 1)[1], "expected '# MALLOC-STAT-LOG 1'"),
	('unclosed entry', root, lambda t: sub(r'^(\+ free .*\n)-\n', r'\1', t), 'not closed'),
]

for name, target, mutate, want in MUTATIONS:
	bad = os.path.join(d, 'bad')
	shutil.rmtree(bad, ignore_errors=True)
	shutil.copytree(good, bad)
	path = os.path.join(bad, target)
	with open(path, encoding='latin-1') as f:
		text = f.read()
	with open(path, 'w', encoding='latin-1') as f:
		f.write(mutate(text))
	errors = logcheck.load([bad]).check(roots=1, require_fini=True)
	check(any(want in e for e in errors), '%s: expected an error with %r, got %r'
	      % (name, want, errors[:5]))
	print('ok: %s -> %s' % (name, [e for e in errors if want in e][0]))
check_eq(len(logs(good)), 4, 'logs in the good tree')
cleanup(d)
