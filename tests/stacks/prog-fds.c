/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * prog-fds OUT: allocates (stacks are taken), then writes to descriptor 1
 * and opens /dev/null, and records in OUT what both gave: run with 0-2
 * closed, write must fail (EBADF) and open return the lowest free number,
 * as untraced; run with them open, open returns what it does untraced
 * (the unwinder's descriptors are not in the program's range).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[128];
	void *v[64];
	ssize_t w;
	int out, err, fd, n;

	if (argc < 2)
		return 2;
	/* Out of the way itself: opened first, moved to 500. */
	out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return 1;
	fd = fcntl(out, F_DUPFD_CLOEXEC, 500);
	close(out);
	out = fd;
	for (int i = 0; i < 64; i++)
		v[i] = malloc(100 + (size_t)i * 1000);
	for (int i = 0; i < 64; i++)
		free(v[i]);
	errno = 0;
	w = write(1, "x", 1);
	err = errno;
	fd = open("/dev/null", O_RDONLY);
	n = snprintf(line, sizeof(line), "write %zd errno %d open %d\n", w, err, fd);
	return write(out, line, (size_t)n) == n ? 0 : 1;
}
