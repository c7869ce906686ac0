#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""include/malloc-stat/api.h compiled alone and in use, as C (gnu89, c99,
c11, c17) and C++ (c++11, c++17), with -Wall -Wextra -Werror -pedantic;
every macro in an unbraced if/else; the programs run without the preload
(zeros, no-ops) and under it. Usage: test-header.py c|c++"""
import os
import shlex
import subprocess
import sys

from common import PRELOAD, check, check_eq, cleanup, fail, setup, skip, tmpdir

ALONE = '#include <malloc-stat/api.h>\n#include <malloc-stat/api.h>\n'

# Declarations first (gnu89); every macro as one statement of an if/else.
USE = r'''#include <malloc-stat/api.h>

int main(int argc, char **argv)
{
	malloc_stat_get_stat_fnptr f = MALLOC_STAT_GET_STAT_FNPTR();
	malloc_stat_vars a, b, d;
	int n = 0;

	(void)argv;
	a = MALLOC_STAT_GET_STAT(f);
	if (argc > 5)
		MALLOC_STAT_SHOW("a", f);
	else
		MALLOC_STAT_SHOW("b", f);
	if (argc > 5)
		MALLOC_STAT_ENABLE_LOG();
	else
		MALLOC_STAT_DISABLE_LOG();
	if (argc > 5)
		MALLOC_STAT_SET_LOG_FD(-1);
	else
		MALLOC_STAT_ENABLE_LOG();
	if (argc > 5)
		MALLOC_STAT_PRINT("x", a);
	else
		MALLOC_STAT_FPRINT(stdout, "y", a);
	if (argc > 5)
		MALLOC_STAT_FSHOW(stdout, "z", f);
	else
		n += MALLOC_STAT_CHECK_VERSION();
	if (argc > 5)
		b = MALLOC_STAT_RESET_STAT(f);
	else
		b = MALLOC_STAT_GET_STAT(f);
	d = MALLOC_STAT_GET_DIFF(a, b);
	if (MALLOC_STAT_IS_EQUAL(a, b))
		n += 10;
	printf("version %s %d at %s\n", MALLOC_STAT_VERSION_STRING, MALLOC_STAT_VERSION,
	       MALLOC_STAT_MAKE_FILE_LINE());
	printf("loaded %d checkversion %d equal %d allocations %d\n", f != 0, n % 10,
	       n / 10, (int)d.allocations);
	return 0;
}
'''

C_STDS = ['gnu89', 'c99', 'c11', 'c17']
CXX_STDS = ['c++11', 'c++17']
FLAGS = ['-Wall', '-Wextra', '-Werror', '-pedantic', '-fno-builtin']

setup()
lang = sys.argv[1]
compiler = shlex.split(os.environ.get('TEST_CC' if lang == 'c' else 'TEST_CXX', ''))
if not compiler:
	skip('no %s compiler configured' % lang)
incdir = os.environ['TEST_INCLUDE']
d = tmpdir('header-' + lang)
ext = '.c' if lang == 'c' else '.cc'
for name, text in (('alone', ALONE), ('use', USE)):
	with open(os.path.join(d, name + ext), 'w') as f:
		f.write(text)

failures = []


def build(std, flags, name):
	"""Compiles alone.* to an object and use.* to a program; the program's
	path, or None after recording the compiler's complaint."""
	base = compiler + ['-std=' + std, '-I' + incdir] + flags
	exe = os.path.join(d, '%s-%s-%d' % (name, std, len(flags)))
	for cmd in (['-c', os.path.join(d, 'alone' + ext), '-o', exe + '.o'],
		    [os.path.join(d, 'use' + ext), '-o', exe, '-ldl']):
		r = subprocess.run(base + cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
				   text=True)
		if r.returncode:
			failures.append('-std=%s %s: %s\n%s' % (std, ' '.join(flags), cmd[0],
							       r.stdout[:1500]))
			return None
	return exe


for std in C_STDS if lang == 'c' else CXX_STDS:
	exe = build(std, FLAGS, 'strict')
	if exe is None:
		# Still check the rest of the contract without -pedantic.
		exe = build(std, [f for f in FLAGS if f != '-pedantic'], 'plain')
	if exe is None:
		continue
	env = {k: v for k, v in os.environ.items() if k != 'LD_PRELOAD'}
	out = subprocess.run([exe], env=env, stdout=subprocess.PIPE, text=True)
	check_eq(out.returncode, 0, 'exit status without the preload (%s)' % std)
	check('| allocs  : 0             | deallocs: 0             | inuse: 0' in out.stdout,
	      'zeros without the preload (%s)' % std)
	# (MALLOC_STAT_CHECK_VERSION without the preload is checked in prog-api.)
	w = out.stdout.splitlines()[-1].split(' ')
	check_eq(w[:2] + w[4:], ['loaded', '0', 'equal', '1', 'allocations', '0'],
		 'macros without the preload (%s)' % std)
	env['LD_PRELOAD'] = PRELOAD
	out = subprocess.run([exe], env=env, stdout=subprocess.PIPE, text=True)
	check_eq(out.returncode, 0, 'exit status under the preload (%s)' % std)
	check_eq(out.stdout.splitlines()[-1].split(' ')[:4], ['loaded', '1', 'checkversion', '1'],
		 'macros under the preload (%s)' % std)
	print('ok: -std=%s' % std)
if failures:
	fail('api.h does not compile cleanly:\n' + '\n'.join(failures))
cleanup(d)
