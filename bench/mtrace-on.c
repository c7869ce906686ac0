/* SPDX-License-Identifier: LGPL-3.0-or-later */
/*
 * Benchmark harness for the glibc mtrace peer. Since glibc 2.34, mtrace
 * lives in libc_malloc_debug.so and starts only when the program calls
 * mtrace(); this shim, preloaded after libc_malloc_debug.so.0, calls it at
 * start-up. With MTRACE_PREFIX=P each process image writes P.PID (glibc
 * opens MALLOC_TRACE with truncation, so one shared file would keep only
 * the last writer); without it, MALLOC_TRACE is used as is.
 */
#include <mcheck.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void mtrace_on(void)
{
	const char *prefix = getenv("MTRACE_PREFIX");

	if (prefix && *prefix) {
		char path[4096];

		snprintf(path, sizeof(path), "%s.%ld", prefix, (long)getpid());
		setenv("MALLOC_TRACE", path, 1);
	}
	mtrace();
}
