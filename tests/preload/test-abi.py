#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-3.0-or-later
"""The preload's dynamic symbols (nm -D --defined-only) are exactly the
list in data/exported-symbols.txt: the allocator, the exec family, fork,
_exit/_Exit and the seed API, nothing of the hidden core."""
import os
import shutil
import subprocess

from common import PRELOAD, SRC_DIR, check_eq, setup, skip

setup()
if not shutil.which('nm'):
	skip('nm (binutils) is not installed')
out = subprocess.run(['nm', '-D', '--defined-only', PRELOAD], check=True,
		     stdout=subprocess.PIPE, text=True).stdout
got = sorted(' '.join(line.split()[1:3]) for line in out.splitlines() if line.strip())
with open(os.path.join(SRC_DIR, 'data', 'exported-symbols.txt')) as f:
	want = sorted(line.strip() for line in f if line.strip() and not line.startswith('#'))
missing = sorted(set(want) - set(got))
extra = sorted(set(got) - set(want))
check_eq((missing, extra), ([], []), '(missing, unexpected) exported symbols')
print('ok: %d symbols' % len(got))
