// SPDX-License-Identifier: LGPL-3.0-or-later
/*
 * Dies at a chosen point: after each allocator call it stores the number
 * of calls completed in a shared mapping of COUNTFILE (no syscall, so a
 * SIGKILL lands anywhere in the preload's code), and the driver knows
 * exactly what the log must hold when it kills the process (kill) or the
 * process ends itself after N calls (_exit, abort, segv, exit). Each call
 * makes exactly one entry. Usage: prog-crash MODE N COUNTFILE
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define SLOTS 16

int main(int argc, char **argv)
{
	void *slot[SLOTS] = { 0 };
	volatile uintptr_t bad = 8;
	const char *mode;
	uint32_t n, *count;
	int fd;

	CHECK(argc == 4);
	mode = argv[1];
	n = (uint32_t)atol(argv[2]);
	fd = open(argv[3], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
	count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(count != MAP_FAILED);
	free(malloc(77777));	/* the start marker */
	for (uint32_t i = 1; !strcmp(mode, "kill") || i <= n; i++) {
		unsigned s = i % SLOTS;
		size_t size = 16 + (i * 13) % 500;

		if (!slot[s]) {
			slot[s] = malloc(size);
			CHECK(slot[s] != NULL);
		} else if (i % 2) {
			slot[s] = realloc(slot[s], size);
			CHECK(slot[s] != NULL);
		} else {
			free(slot[s]);
			slot[s] = NULL;
		}
		__atomic_store_n(count, i, __ATOMIC_RELEASE);
	}
	if (!strcmp(mode, "_exit"))
		_exit(0);
	if (!strcmp(mode, "abort"))
		abort();
	if (!strcmp(mode, "segv"))
		*(volatile int *)bad = 0;	/* SIGSEGV */
	return 0;
}
