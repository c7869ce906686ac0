/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * lib-interpose: another preload, in the manner of fakeroot and faketime.
 * Its fstat allocates at its first call (fakeroot looks its symbols up
 * lazily, which allocates), and its clock_gettime runs three years ahead. malloc-stat calls such functions while it sets its log up,
 * and must neither lose those allocations nor take the fake time.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *kept;

static void lazy_setup(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	for (int i = 0; i < 5; i++)
		free(malloc(40 + (size_t)i));
	kept = malloc(100);
}

int fstat(int fd, struct stat *st)
{
	int (*real)(int, struct stat *);

	lazy_setup();
	real = (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
	return real(fd, st);
}


int clock_gettime(clockid_t clock, struct timespec *ts)
{
	int r = (int)syscall(SYS_clock_gettime, clock, ts);

	if (r == 0)
		ts->tv_sec += 100000000;
	return r;
}
