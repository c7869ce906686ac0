/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * probe-logwrite DIR MODE MIB: what the kernel charges per 4 KiB page of a
 * log written 35 bytes at a time (a typical entry), in DIR:
 *   0  a MAP_SHARED window of 1 MiB over fallocate'd blocks (the preload)
 *   1  the same with madvise(MADV_POPULATE_WRITE) on each window
 *   2  the same with MAP_POPULATE
 *   3  pwrite() of 64 KiB batches from a private buffer
 *   4  a MAP_SHARED window over a sparse file (ftruncate, no fallocate)
 *   5  a MAP_SHARED window over pages pwrite() filled with zeros first
 *      (the preload since the ext4 measurements in bench/RESULTS.md)
 * Prints wall and CPU time (user + system) and CPU per page.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	const size_t win = 1u << 20;
	char path[4096], line[35];
	size_t total;
	double t0, c0, t1, c1;
	int fd, mode;

	if (argc != 4) {
		fprintf(stderr, "usage: probe-logwrite DIR MODE(0-5) MIB\n");
		return 2;
	}
	mode = atoi(argv[2]);
	total = (size_t)atol(argv[3]) << 20;
	snprintf(path, sizeof(path), "%s/probe-logwrite.%d", argv[1], (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	t0 = now();
	c0 = cpu();
	if (mode == 3) {
		size_t bl = 0;
		off_t off = 0;

		for (size_t done = 0; done < total; done += sizeof(line)) {
			memcpy(buf + bl, line, sizeof(line));
			bl += sizeof(line);
			if (bl > sizeof(buf) - sizeof(line)) {
				if (pwrite(fd, buf, bl, off) != (ssize_t)bl)
					return 1;
				off += (off_t)bl;
				bl = 0;
			}
		}
	} else {
		for (size_t off = 0; off < total; off += win) {
			char *w;

			if (mode == 5) {
				static const char zeros[65536];

				for (size_t z = 0; z < win; z += sizeof(zeros))
					if (pwrite(fd, zeros, sizeof(zeros), (off_t)(off + z)) !=
					    (ssize_t)sizeof(zeros))
						return 1;
			} else if (mode == 4 ? ftruncate(fd, (off_t)(off + win)) :
					fallocate(fd, 0, (off_t)off, (off_t)win)) {
				return 1;
			}
			w = mmap(NULL, win, PROT_READ | PROT_WRITE,
				 MAP_SHARED | (mode == 2 ? MAP_POPULATE : 0), fd, (off_t)off);
			if (w == MAP_FAILED)
				return 1;
			if (mode == 1)
				(void)madvise(w, win, MADV_POPULATE_WRITE);
			for (size_t p = 0; p + sizeof(line) <= win; p += sizeof(line))
				memcpy(w + p, line, sizeof(line));
			munmap(w, win);
		}
	}
	t1 = now();
	c1 = cpu();
	printf("%-24s mode %d: %6.3f s wall %6.3f s CPU, %.2f us CPU per 4 KiB page\n", argv[1],
	       mode, t1 - t0, c1 - c0, (c1 - c0) / ((double)total / 4096) * 1e6);
	close(fd);
	unlink(path);
	return 0;
}
