#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""A real program gives the same stdout, stderr and exit status without the
preload, under it (counters only), with per-process logs and with the fd
1022 stream; the logs pass logcheck. Usage: test-identical.py CASE"""
import os
import sys

from common import (PYTHON, check, check_eq, check_logs, cleanup, logs, prog, run, setup, skip,
		    tmpdir)

PY = r'''
import collections, hashlib, json, re, threading
d = {str(i): [i, str(i) * 3, {"k": i % 7}] for i in range(20000)}
s = json.dumps(d, sort_keys=True)
back = json.loads(s)
c = collections.Counter(re.findall(r"\d{3}", s))
out = []
t = threading.Thread(target=lambda: out.append(hashlib.sha256(s.encode()).hexdigest()))
t.start(); t.join()
print(len(s), len(back), c.most_common(3), out[0])
try:
    {}["missing"]
except KeyError as e:
    print("caught", repr(e))
'''

CASES = {
	'ls': lambda: ['ls', '-la', '--color=never', '/usr/bin'],
	'sh-ls-cat': lambda: ['sh', '-c', 'ls /usr/lib | cat; ls -l /usr/share | cat -n'],
	'cxx': lambda: [prog('prog-cxx')],
	'python3': lambda: [PYTHON, '-c', PY],
	# The program's descriptors are its own: none of the log's shows, and
	# at a limit of 5 diff still has the two it needs.
	# (Listed into a file: in a pipeline the shell may still hold the
	# pipe's ends when ls reads its table, preload or not.)
	'fds': lambda: ['sh', '-c', 'f=$(mktemp); ls /proc/$$/fd > "$f"; tr "\\n" " " < "$f"; '
			'rm -f "$f"; echo; ulimit -n 5; '
			'diff /etc/passwd /etc/passwd && echo the same file compared twice'],
}
# With the stream, fd 1022 is the caller's and shows: not compared there.
NO_STREAM = {'fds'}

setup()
case = sys.argv[1]
argv = CASES[case]()
if not os.path.exists(argv[0]) and not argv[0].isalpha():
	skip('%s is missing' % argv[0])
d = tmpdir('identical-' + case)

plain = run(argv, preload=False)
check_eq(plain.returncode, 0, 'exit status without the preload')
check(len(plain.stdout) > 20, 'the program printed something to compare')
for label, kw in (('under the preload', {}),
		  ('with per-process logs', {'prefix': os.path.join(d, 'log')})):
	res = run(argv, **kw)
	check_eq((res.returncode, res.stderr), (plain.returncode, plain.stderr),
		 '(exit status, stderr) ' + label)
	check_eq(res.stdout, plain.stdout, 'stdout ' + label)

check_logs([os.path.join(d, f) for f in logs(d)], roots=1, require_fini=True)

if case in NO_STREAM:
	cleanup(d)
	print('ok')
	sys.exit(0)
stream = os.path.join(d, 'stream')
fd = os.open(stream, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(fd, 1022)
os.close(fd)
res = run(argv, pass_fds=(1022,))
os.close(1022)
check_eq((res.returncode, res.stderr), (plain.returncode, plain.stderr),
	 '(exit status, stderr) with the fd 1022 stream')
check_eq(res.stdout, plain.stdout, 'stdout with the fd 1022 stream')
check_logs([stream], stream=True, roots=1, require_fini=True)
cleanup(d)
print('ok')
