// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Anonymous mappings in known amounts: a partial munmap that splits a
 * range, a MAP_FIXED remapping over part of one, mremap growth, a PROT_NONE
 * reservation, and a file mapping (never counted). The test knows the
 * figures: anonymous peak 442368 bytes, 0 at the end, 1 MiB reserved.
 * No stdio: the heap holds one block of 5000 bytes through it all.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

int main(int argc, char **argv)
{
	char *keep = malloc(5000);
	char *a, *b, *r, *f;
	int fd;

	a = mmap(NULL, 10 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, 5 * PG + 100, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return 1;
	memset(a, 1, 10 * PG);
	/* 16 pages; a hole of 2 pages in the middle of a: 14. */
	munmap(a + 4 * PG, 2 * PG);
	/* Remapped in place over a's first page: still 14. */
	if (mmap(a, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != a)
		return 2;
	/* b grows from 6 pages to 100: 14 - 6 + 100 = 108 pages = 442368. */
	b = mremap(b, 5 * PG + 100, 100 * PG, MREMAP_MAYMOVE);
	if (b == MAP_FAILED)
		return 3;
	memset(b, 2, 100 * PG);
	/* Address space only. */
	r = mmap(NULL, 256 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	/* A file mapping is not anonymous memory: its munmap changes nothing. */
	fd = open(argc > 0 ? argv[0] : "/proc/self/exe", O_RDONLY);
	f = fd >= 0 ? mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	if (f != MAP_FAILED)
		munmap(f, PG);
	if (fd >= 0)
		close(fd);
	/* The rest of a, hole included (8 pages), then b: nothing left. */
	munmap(a, 10 * PG);
	munmap(b, 100 * PG);
	munmap(r, 256 * PG);
	keep[0] = 1;
	free(keep);
	return 0;
}
