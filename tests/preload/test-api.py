#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""The seed API: prog-api's checks under the preload and without it, and
the seed README's example compiled unchanged, behaving as its comments say."""
import re
import sys

from common import check, check_eq, check_ok, prog, run, setup

setup()

if sys.argv[1:] == ['prog']:
	res = run([prog('prog-api')])
	check_ok(res, 'prog-api under the preload')
	res = run([prog('prog-api'), '--no-preload'], preload=False)
	check(b'no preload:\n' in res.stdout, 'MALLOC_STAT_SHOW printed its table')
	check_ok(res, 'prog-api without the preload')
	print('ok')
	sys.exit(0)


def table(out, caption):
	"""The six numbers of a MALLOC_STAT_PRINT table."""
	m = re.search(re.escape(caption) + r':\n\+=+\+\n'
		      r'\| allocs  : (\d+) *\| deallocs: (\d+) *\| inuse: (\d+) *\|\n'
		      r'\| AL bytes: (\d+) *\| DE bytes: (\d+) *\| peak : (\d+) *\|\n', out)
	check(m, 'table %r in the output' % caption)
	a, d, iu, ab, db, pk = map(int, m.groups())
	return dict(allocations=a, deallocations=d, in_use=iu, allocated=ab,
		    deallocated=db, peak_in_use=pk)


res = run([prog('seed-example')])
check_eq(res.returncode, 0, 'exit status (the example returns *p, which is 0)')
out = res.stdout.decode()
check('hello from main!\n' in out, 'greeting')
before = table(out, 'before malloc')
after = table(out, 'after malloc')
# malloc(32): one allocation of 40 usable bytes.
check_eq(after['allocations'] - before['allocations'], 1, 'allocations by malloc(32)')
check_eq(after['in_use'] - before['in_use'], 40, 'in_use by malloc(32)')
# After the reset, realloc(p, 64) counts one deallocation (40) and one
# allocation (72) and nothing else.
r = table(out, 'after realloc')
check_eq(r, dict(allocations=1, deallocations=1, in_use=32, allocated=72,
		 deallocated=40, peak_in_use=32), 'counters after realloc')
# The log went to stdout: a header, the realloc, and the leak at the end.
check(out.startswith('hello') or '# MALLOC-STAT-LOG 1\n' in out, 'log header on stdout')
check('# MALLOC-STAT-LOG 1\n' in out, 'log header on stdout')
check(re.search(r'\n\+ realloc-(inplace|realloc) 64 0x[0-9a-f]+ 72 ', out),
      'realloc entry on stdout')
check(re.search(r'\n\+ FINI 0 0x0 allocations=1 allocated=72 deallocations=1 '
		r'deallocated=40 in_use=32 peak_in_use=32( \S+=\S+)*\n-\n', out),
      'FINI with the leaked block on stdout')
print('ok')
