/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * The reader's input handling built with UBSan (undefined behaviour
 * aborts): finds and reads the inputs named on the command line as
 * `malloc-stat report` does, messages on stderr, and prints how many
 * images it read. For inputs that go wrong: a missing path, a symlink
 * loop, a FIFO, one given twice.
 */
#include <stdio.h>
#include <stdlib.h>

#include "load.h"

int main(int argc, char **argv)
{
	struct mstat_set set = { 0 };
	struct mstat_load_opts o = { .threads = 1, .msgs = stderr };
	int r = mstat_load(&set, argv + 1, (size_t)(argc - 1), &o);

	printf("%d %zu %zu\n", r, set.n, set.nvalid);
	mstat_set_free(&set);
	return r < 0 ? 1 : 0;
}
