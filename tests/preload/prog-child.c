// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * The small program the process tests start in every way they can: it
 * allocates a known set of blocks, prints one line, and can exec on.
 * Usage: prog-child TAG [exec PROGRAM ARGS...]
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char **argv)
{
	void *keep[8];

	CHECK(argc >= 2);
	for (int i = 0; i < 8; i++) {
		keep[i] = malloc(100 + i);
		CHECK(keep[i] != NULL);
	}
	for (int i = 0; i < 8; i += 2)
		free(keep[i]);
	PUTF(STDOUT_FILENO, "child %s\n", argv[1]);
	if (argc > 3 && !strcmp(argv[2], "exec")) {
		execv(argv[3], argv + 3);
		return 127;
	}
	return 0;
}
